using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Telemetry;

/// <summary>The telemetry settings: JSON logs that carry the trace, and a bad metrics port refused at start-up.</summary>
public sealed class TelemetrySettingsTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task JsonLogs_WriteJsonLines_WithTheTraceAndSpanIds()
    {
        await using var host = await KestrelJobHub.StartAsync(db.ConnectionString, new Dictionary<string, string?> { ["JobHub:Telemetry:JsonLogs"] = "true" });
        Assert.Equal(ConsoleFormatterNames.Json, host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);

        // A line written inside an activity, through the host's logger factory and its console's JSON formatter.
        var json = host.Services.GetServices<ConsoleFormatter>().Single(f => f.Name == ConsoleFormatterNames.Json);
        using var written = new FormattedLines(json);
        host.Services.GetRequiredService<ILoggerFactory>().AddProvider(written);
        using var source = new ActivitySource("JobHub.Tests.JsonLogs");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(listener);
        using (var activity = source.StartActivity("logged")!)
        {
            host.Services.GetRequiredService<ILogger<TelemetrySettingsTests>>().LogInformation("Job {JobId} did something", 42);
            var line = JsonDocument.Parse(Assert.Single(written.Lines)).RootElement;

            Assert.Equal("Job 42 did something", line.GetProperty("Message").GetString());
            var scope = Assert.Single(line.GetProperty("Scopes").EnumerateArray(), s => s.TryGetProperty("TraceId", out _));
            Assert.Equal(activity.TraceId.ToHexString(), scope.GetProperty("TraceId").GetString());
            Assert.Equal(activity.SpanId.ToHexString(), scope.GetProperty("SpanId").GetString());
        }
    }

    [Theory]
    [InlineData("urls", "http://127.0.0.1:8081", "http://127.0.0.1:8081;http://127.0.0.1:9464")]
    [InlineData("http_ports", "8080", "http://*:8080;http://127.0.0.1:9464")]
    public async Task TheMetricsPort_ListensBesideThePublicAddresses_HoweverTheyAreNamed(string key, string value, string expected)
    {
        await using var app = JobHub.Web.JobHubApp.Create([], builder =>
        {
            builder.Configuration["ConnectionStrings:JobHub"] = db.ConnectionString;
            builder.Configuration[key] = value;
            builder.Configuration["JobHub:Telemetry:MetricsPort"] = "9464";
        });

        Assert.Equal(expected, app.Configuration["urls"]);
    }

    [Theory]
    [InlineData("urls", "http://10.0.0.5:9464")]
    [InlineData("http_ports", "9464")]
    public void AMetricsPortThatIsAlsoAPublicPort_StopsStartup(string key, string value)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => JobHub.Web.JobHubApp.Create([], builder =>
        {
            builder.Configuration["ConnectionStrings:JobHub"] = db.ConnectionString;
            builder.Configuration[key] = value;
            builder.Configuration["JobHub:Telemetry:MetricsPort"] = "9464";
        }));

        Assert.Contains("MetricsPort 9464", ex.Message);
    }

    [Fact]
    public async Task ABadMetricsPort_StopsStartup_NamingIt()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            KestrelJobHub.StartAsync(db.ConnectionString, new Dictionary<string, string?> { ["JobHub:Telemetry:MetricsPort"] = "70000" }));

        Assert.Contains("MetricsPort", string.Join(" ", ex.Failures));
    }

    /// <summary>A logger provider that writes each line as a console formatter would, with the factory's scopes.</summary>
    private sealed class FormattedLines(ConsoleFormatter formatter) : ILoggerProvider, ISupportExternalScope
    {
        private readonly ConsoleFormatter json = formatter;
        private readonly ConcurrentQueue<string> lines = new();
        private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

        public IReadOnlyCollection<string> Lines => lines;

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

        public ILogger CreateLogger(string categoryName) => categoryName == typeof(TelemetrySettingsTests).FullName ? new Logger(this, categoryName) : NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Logger(FormattedLines sink, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => sink.scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                using var line = new StringWriter();
                sink.json.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), sink.scopes, line);
                sink.lines.Enqueue(line.ToString());
            }
        }
    }
}
