using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Jobs.Slots;
using JobHub.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// JobHub.Web on real Kestrel (a loopback port chosen by the OS), for browser tests. Unless the settings name a RunningHub
/// account or simulator, it runs against a RunningHub simulator of its own on another port, as <c>./jobhub run</c> does.
/// </summary>
public sealed class KestrelJobHub : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly string storage;
    private readonly bool ownsSimulator;

    private KestrelJobHub(WebApplication app, Uri baseAddress, string storage, SimulatorHost? simulator, bool ownsSimulator, CapturedLogs logs)
    {
        Logs = logs;
        this.app = app;
        BaseAddress = baseAddress;
        this.storage = storage;
        Simulator = simulator;
        this.ownsSimulator = ownsSimulator;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => app.Services;

    /// <summary>What this host logged (at the levels its configuration enables).</summary>
    public CapturedLogs Logs { get; }

    /// <summary>The simulator this JobHub talks to over HTTP (null when the settings named another RunningHub).</summary>
    public SimulatorHost? Simulator { get; }

    /// <param name="simulator">A simulator to share (several JobHubs, or one restarted); none: one of its own unless the settings name one.</param>
    public static async Task<KestrelJobHub> StartAsync(string connectionString, IDictionary<string, string?>? settings = null, SimulatorHost? simulator = null)
    {
        var namesRunningHub = settings is not null && settings.Any(s =>
            !string.IsNullOrEmpty(s.Value) && (s.Key.StartsWith("JobHub:RunningHub:Accounts:", StringComparison.Ordinal) && s.Key.EndsWith(":ApiKey", StringComparison.Ordinal)
                || s.Key == "JobHub:RunningHub:Simulator:BaseUrl"));
        var ownsSimulator = simulator is null && !namesRunningHub;
        if (ownsSimulator)
        {
            simulator = await SimulatorHost.StartAsync();
        }

        try
        {
            return await StartAsync(connectionString, settings, simulator, ownsSimulator);
        }
        catch when (ownsSimulator)
        {
            await simulator!.DisposeAsync();
            throw;
        }
    }

    private static async Task<KestrelJobHub> StartAsync(string connectionString, IDictionary<string, string?>? settings, SimulatorHost? simulator, bool ownsSimulator)
    {
        // A port chosen up front, so that PublicBaseUrl (webhooks) can name it.
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var storage = Path.Combine(Path.GetTempPath(), "jobhub-tests", Guid.NewGuid().ToString("N"));
        var logs = new CapturedLogs();
        var app = JobHubApp.Create(["--urls", url, "--environment", "Development"], builder =>
        {
            builder.Configuration["ConnectionStrings:JobHub"] = connectionString;
            builder.Configuration["JobHub:PublicBaseUrl"] = url;
            builder.Configuration["JobHub:StorageRoot"] = storage;
            if (simulator is not null)
            {
                builder.Configuration.AddInMemoryCollection(simulator.JobHubSettings());
            }

            builder.Configuration.AddInMemoryCollection(TestRateLimits.Generous);
            builder.Configuration.AddInMemoryCollection(Smtp4dev.MailSettings());
            builder.Logging.AddProvider(logs);
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }
        });
        await JobHubApp.PrepareAsync(app);
        await app.StartAsync();
        return new KestrelJobHub(app, new Uri(app.Urls.First()), storage, simulator, ownsSimulator, logs);
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.Services.GetRequiredService<JobLauncher>().WhenIdleAsync();
        await app.Services.GetRequiredService<CopyOutputs>().WhenIdleAsync();
        await app.DisposeAsync();
        if (ownsSimulator)
        {
            await Simulator!.DisposeAsync();
        }

        if (Directory.Exists(storage))
        {
            Directory.Delete(storage, recursive: true);
        }
    }
}
