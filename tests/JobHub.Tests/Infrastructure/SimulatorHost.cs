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
/// The RunningHub simulator on real Kestrel (loopback, OS-chosen port), with a webhook receiver beside it,
/// and the real HTTP client pointed at it.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private SimulatorHost(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    public Uri Address { get; }
    public SimulatorState State => app.Services.GetRequiredService<SimulatorState>();
    public ConcurrentQueue<JsonElement> Webhooks { get; } = new();
    public RunningHubAccount Account => new("sim", new Uri(Address, "rh").ToString(), "simulator-key");
    public string WebhookUrl => new Uri(Address, "hook").ToString();
    public CapturingLoggerProvider Logs { get; } = new();

    public static async Task<SimulatorHost> StartAsync(SimulatorSettings? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddRunningHubSimulator(settings);
        var app = builder.Build();
        app.MapRunningHubSimulator("/rh");
        SimulatorHost? host = null;
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            host!.Webhooks.Enqueue(await JsonSerializer.DeserializeAsync<JsonElement>(request.Body));
            return Results.Ok();
        });
        await app.StartAsync();
        host = new SimulatorHost(app, new Uri(app.Urls.First() + "/"));
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
