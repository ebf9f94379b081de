using JobHub.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Infrastructure;

/// <summary>JobHub.Web on real Kestrel (a loopback port chosen by the OS), for browser tests.</summary>
public sealed class KestrelJobHub : IAsyncDisposable
{
    private readonly WebApplication app;

    private readonly string storage;

    private KestrelJobHub(WebApplication app, Uri baseAddress, string storage)
    {
        this.app = app;
        BaseAddress = baseAddress;
        this.storage = storage;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<KestrelJobHub> StartAsync(string connectionString, IDictionary<string, string?>? settings = null)
    {
        // A port chosen up front, so that PublicBaseUrl (webhooks, the simulator account) can name it.
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var storage = Path.Combine(Path.GetTempPath(), "jobhub-tests", Guid.NewGuid().ToString("N"));
        var app = JobHubApp.Create(["--urls", url, "--environment", "Development"], builder =>
        {
            builder.Configuration["ConnectionStrings:JobHub"] = connectionString;
            builder.Configuration["JobHub:PublicBaseUrl"] = url;
            builder.Configuration["JobHub:StorageRoot"] = storage;
            builder.Configuration.AddInMemoryCollection(TestRateLimits.Generous);
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }
        });
        await JobHubApp.PrepareAsync(app);
        await app.StartAsync();
        return new KestrelJobHub(app, new Uri(app.Urls.First()), storage);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.Services.GetRequiredService<JobHub.Core.Jobs.JobLauncher>().WhenIdleAsync();
        await app.Services.GetRequiredService<JobHub.Core.Jobs.CopyOutputs>().WhenIdleAsync();
        await app.DisposeAsync();
        if (Directory.Exists(storage))
        {
            Directory.Delete(storage, recursive: true);
        }
    }
}
