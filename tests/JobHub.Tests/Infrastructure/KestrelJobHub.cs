using JobHub.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace JobHub.Tests.Infrastructure;

/// <summary>JobHub.Web on real Kestrel (a loopback port chosen by the OS), for browser tests.</summary>
public sealed class KestrelJobHub : IAsyncDisposable
{
    private readonly WebApplication app;

    private KestrelJobHub(WebApplication app, Uri baseAddress)
    {
        this.app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<KestrelJobHub> StartAsync(string connectionString, IDictionary<string, string?>? settings = null)
    {
        var app = JobHubApp.Create(["--urls", "http://127.0.0.1:0", "--environment", "Development"], builder =>
        {
            builder.Configuration["ConnectionStrings:JobHub"] = connectionString;
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }
        });
        await JobHubApp.PrepareAsync(app);
        await app.StartAsync();
        return new KestrelJobHub(app, new Uri(app.Urls.First()));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
