using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using JobHub.Core.Telemetry;
using Npgsql;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace JobHub.Web.Telemetry;

/// <summary>How JobHub's metrics, traces and logs leave the process (docs/metrics.md).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "JobHub:Telemetry";

    /// <summary>A port of its own for the Prometheus scrape (<c>/metrics</c>), which serves nothing else; none: no scrape endpoint.</summary>
    [Range(1, 65535)]
    public int? MetricsPort { get; set; }

    /// <summary>The address the metrics port listens on: loopback unless a Prometheus on another host scrapes it.</summary>
    [Required(AllowEmptyStrings = false)]
    public string MetricsHost { get; set; } = "127.0.0.1";

    /// <summary>An OTLP collector for metrics and traces (gRPC unless <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> says otherwise); none: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>'s.</summary>
    [Url]
    public string? OtlpEndpoint { get; set; }

    /// <summary>Logs as JSON lines on the console, with their scopes and the trace and span ids.</summary>
    public bool JsonLogs { get; set; }
}

public static class TelemetrySetup
{
    /// <summary>
    /// Blazor's meters: circuits opened, connected and their lengths; navigations and event handlers. Its render meter
    /// (<c>.Lifecycle</c>) is left out: it measures every render.
    /// </summary>
    public static readonly string[] BlazorMeters = ["Microsoft.AspNetCore.Components.Server.Circuits", "Microsoft.AspNetCore.Components"];

    public static void AddJobHubTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var settings = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (settings.JsonLogs)
        {
            builder.Logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
            builder.Logging.Configure(logging => logging.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        }

        var otlp = settings.OtlpEndpoint is { Length: > 0 } endpoint ? endpoint : builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var port = settings.MetricsPort;
        if (port is null && string.IsNullOrEmpty(otlp))
        {
            return; // nothing exports: no provider, and the engine's instruments, observed by nobody, cost nothing
        }

        if (port is not null)
        {
            // The public addresses as configured, and the metrics port beside them (an address named in code would replace them).
            var publicUrls = PublicUrls(builder.Configuration).ToList();
            if (publicUrls.Any(url => BindingAddress.Parse(url.Replace("://*", "://localhost", StringComparison.Ordinal)).Port == port))
            {
                // On a public port the scrape would hide the application, or the application would expose the scrape.
                throw new InvalidOperationException($"JobHub:Telemetry:MetricsPort {port} is also a public port ({string.Join(";", publicUrls)}): give the metrics a port of their own.");
            }

            builder.WebHost.UseUrls([.. publicUrls, $"http://{settings.MetricsHost}:{port}"]);
        }

        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("jobhub"));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter([EngineMetrics.MeterName, .. BlazorMeters])
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation();
            // Meters another host in this process made (tests run several JobHubs at once) are that host's to export.
            ((IDeferredMeterProviderBuilder)metrics).Configure((services, builder) =>
            {
                var own = services.GetRequiredService<IMeterFactory>();
                builder.AddView(instrument => instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, own) ? null : MetricStreamConfiguration.Drop);
            });
            if (port is not null)
            {
                metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
            }

            if (!string.IsNullOrEmpty(otlp))
            {
                metrics.AddOtlpExporter(exporter => exporter.Endpoint = new Uri(otlp));
            }
        });
        if (!string.IsNullOrEmpty(otlp))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(EngineTracing.SourceName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddOtlpExporter(exporter => exporter.Endpoint = new Uri(otlp)));
        }
    }

    /// <summary>The addresses Kestrel would listen on without the metrics port: the URLs, else the HTTP(S) ports, else its default.</summary>
    private static IEnumerable<string> PublicUrls(IConfiguration configuration)
    {
        static string[] List(string? value) => value?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        if (List(configuration[WebHostDefaults.ServerUrlsKey]) is { Length: > 0 } urls)
        {
            return urls;
        }

        string[] ports = [.. List(configuration[WebHostDefaults.HttpPortsKey]).Select(p => $"http://*:{p}"),
            .. List(configuration[WebHostDefaults.HttpsPortsKey]).Select(p => $"https://*:{p}")];
        return ports.Length > 0 ? ports : ["http://localhost:5000"];
    }

    /// <summary>
    /// The metrics port answers the Prometheus scrape and nothing else; the scrape is never served on the public port (the
    /// connection's own port decides, which a forged Host header cannot change).
    /// </summary>
    public static void UseJobHubMetricsPort(this WebApplication app)
    {
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelemetryOptions>>().Value.MetricsPort is not { } port)
        {
            return;
        }

        app.UseWhen(context => context.Connection.LocalPort == port, metrics =>
        {
            metrics.UseOpenTelemetryPrometheusScrapingEndpoint();
            metrics.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
    }
}
