using JobHub.Core.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace JobHub.Bench;

/// <summary>
/// The benchmarks run with the engine's metrics collected, as a deployment that exports them does;
/// <c>JOBHUB_BENCH_METRICS=off</c> runs them without, so that the two side by side give the metrics' cost.
/// </summary>
internal static class BenchMetrics
{
    public static bool On => !string.Equals(Environment.GetEnvironmentVariable("JOBHUB_BENCH_METRICS"), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>The engine's meter, aggregated for a Prometheus scrape, in a harness without JobHub's web host.</summary>
    public static void Add(IServiceCollection services)
    {
        if (On)
        {
            services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(EngineMetrics.MeterName).AddPrometheusExporter());
        }
    }

    /// <summary>Starts the provider <see cref="Add"/> registered (a host would at its start).</summary>
    public static void Start(IServiceProvider services) => services.GetService<MeterProvider>();

    /// <summary>JobHub's settings for a web host: its metrics port.</summary>
    public static void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        if (On)
        {
            configuration["JobHub:Telemetry:MetricsPort"] = Load.JobHubProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
