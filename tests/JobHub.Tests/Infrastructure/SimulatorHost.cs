using System.Collections.Concurrent;
using System.Text.Json;
using JobHub.Core.RunningHub;
using JobHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// The RunningHub simulator on real Kestrel (loopback, a free port), with a webhook receiver beside it,
/// and the real HTTP client pointed at it. Each host has a key of its own, as <c>./jobhub run</c> generates one.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private SimulatorHost(WebApplication app, Uri address, string apiKey)
    {
        this.app = app;
        Address = address;
        ApiKey = apiKey;
    }

    public Uri Address { get; }
    public string ApiKey { get; }

    /// <summary>The simulator's API base (JobHub's <c>JobHub:RunningHub:Simulator:BaseUrl</c>).</summary>
    public string BaseUrl => new Uri(Address, "rh").ToString();
    public SimulatorState State => app.Services.GetRequiredService<SimulatorState>();
    public ConcurrentQueue<JsonElement> Webhooks { get; } = new();
    public RunningHubAccount Account => new("sim", BaseUrl, ApiKey);
    public string WebhookUrl => new Uri(Address, "hook").ToString();
    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>JobHub's configuration for running against this simulator.</summary>
    public Dictionary<string, string?> JobHubSettings() => new()
    {
        ["JobHub:RunningHub:Simulator:BaseUrl"] = BaseUrl,
        ["JobHub:RunningHub:Simulator:ApiKey"] = ApiKey,
    };

    /// <param name="dataFolder">Where it keeps tasks and files across restarts; none: in memory.</param>
    /// <param name="port">A port to listen on (a restart on the same address); none: a free one.</param>
    public static async Task<SimulatorHost> StartAsync(SimulatorSettings? settings = null, string? dataFolder = null, int? port = null, string? apiKey = null)
    {
        var address = new Uri($"http://127.0.0.1:{port ?? KestrelJobHub.FreePort()}/");
        apiKey ??= Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(address.ToString());
        builder.Logging.ClearProviders();
        builder.Services.AddRunningHubSimulator(new SimulatorOptions
        {
            BaseUrl = new Uri(address, "rh").ToString(),
            ApiKeys = [apiKey],
            DataFolder = dataFolder,
            Settings = settings ?? new SimulatorSettings(),
        });
        var app = builder.Build();
        app.MapRunningHubSimulator("/rh");
        SimulatorHost? host = null;
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            host!.Webhooks.Enqueue(await JsonSerializer.DeserializeAsync<JsonElement>(request.Body));
            return Results.Ok();
        });
        await app.StartAsync();
        host = new SimulatorHost(app, address, apiKey);
        return host;
    }

    public RunningHubHttpClient Client(TimeSpan? callTimeout = null)
    {
        var options = Options.Create(new RunningHubOptions { CallTimeout = callTimeout ?? TimeSpan.FromSeconds(10) });
        return new RunningHubHttpClient(new HttpClient(), options, new LoggerFactory([Logs]).CreateLogger<RunningHubHttpClient>());
    }

    public async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>Keeps every log line (with exception text) so tests can show that no secret is logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue(formatter(state, exception) + " " + exception);
    }
}
