using System.Diagnostics;
using System.Globalization;
using JobHub.Core;
using JobHub.Core.Jobs;
using JobHub.Core.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace JobHub.Bench;

/// <summary>
/// What the engine's metrics cost one job: every instrument a job's life records (submit, launch and its RunningHub calls,
/// webhook, end, copy), timed in turns with a Prometheus-aggregating provider listening and with none, in one process.
/// </summary>
public static class MetricsBenchmark
{
    private const int JobsPerTurn = 200_000;
    private const int Turns = 5;

    public static async Task<IReadOnlyList<string>> RunAsync(string adminConnectionString)
    {
        var services = new ServiceCollection()
            .AddMetrics()
            .AddSingleton(NullLoggerFactory.Instance)
            .AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddSingleton(TimeProvider.System)
            .AddSingleton(Options.Create(new JobHubOptions()))
            .AddSingleton(NpgsqlDataSource.Create(adminConnectionString))
            .AddSingleton<EngineMetrics>()
            .BuildServiceProvider();
        var metrics = services.GetRequiredService<EngineMetrics>();

        Life(metrics, 20_000); // JIT, both ways
        var off = new List<double>();
        var on = new List<double>();
        for (var turn = 0; turn < Turns; turn++)
        {
            off.Add(NanosecondsPerJob(metrics));
            using (var provider = Sdk.CreateMeterProviderBuilder().AddMeter(EngineMetrics.MeterName).AddPrometheusExporter().Build())
            {
                Life(metrics, 20_000);
                on.Add(NanosecondsPerJob(metrics));
            }
        }

        await services.DisposeAsync();
        var offMedian = Median(off);
        var onMedian = Median(on);
        var cost = onMedian - offMedian;
        Console.WriteLine($"  metrics off: {string.Join(", ", off.Select(Ns))} ns a job; on: {string.Join(", ", on.Select(Ns))} ns a job");
        return
        [
            $"{JobsPerTurn:N0} job lives a turn, {Turns} turns each way, in turns; the median of each:",
            "",
            "| instruments a job records | without a listener | with the Prometheus provider | cost a job |",
            "|---|---|---|---|",
            $"| submit, launch, 2 RunningHub calls, webhook, verdict, end, copy | {Ns(offMedian)} ns | {Ns(onMedian)} ns | {Ns(cost)} ns |",
            "",
            $"At 2,500 jobs a second (about the engine's figure with 50 submitters) that is " +
            $"{(cost * 2_500 / 1e9 * 100).ToString("0.000", CultureInfo.InvariantCulture)} % of one core.",
        ];
    }

    private static double NanosecondsPerJob(EngineMetrics metrics)
    {
        var watch = Stopwatch.StartNew();
        Life(metrics, JobsPerTurn);
        return watch.Elapsed.TotalNanoseconds / JobsPerTurn;
    }

    /// <summary>The instruments of <paramref name="count"/> jobs that start at once, run and complete, as the engine records them.</summary>
    private static void Life(EngineMetrics metrics, int count)
    {
        var now = DateTime.UtcNow;
        var accepted = new SubmitJobResult(new Job { Status = JobStatus.Starting, ToolKey = "pose-changer" }, null, null, null);
        for (var i = 0; i < count; i++)
        {
            var tool = BenchArguments.ToolKeys[i & 3];
            metrics.Submitted(tool, accepted);
            metrics.RunningHubCall("upload", "ok", TimeSpan.FromMilliseconds(40));
            metrics.RunningHubCall("start", "ok", TimeSpan.FromMilliseconds(60));
            metrics.Started(tool, now, now.AddSeconds(0.1));
            metrics.WebhookDelivered("completed");
            metrics.VerdictKnown("webhook", tool, now, 30m, now.AddSeconds(31));
            metrics.Ended(tool, JobStatus.Completed, "webhook", null, null, now, now, now.AddSeconds(31), refunded: false);
            metrics.OutputCopy("copied", TimeSpan.FromMilliseconds(200));
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Ns(double value) => value.ToString("0", CultureInfo.InvariantCulture);
}
