using System.Diagnostics.Metrics;
using JobHub.Core.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Telemetry;

/// <summary>
/// The engine's meter: counts taken where a statement reported a changed row, so each event is counted once across
/// instances (sum them); the slot and queue gauges are the database's, the same everywhere (take the max). docs/metrics.md.
/// </summary>
public sealed class EngineMetrics
{
    public const string MeterName = "JobHub.Engine";

    /// <summary>Seconds, for waits and run times: RunningHub's tasks take minutes; a queue may hold a job half an hour.</summary>
    private static readonly double[] JobSeconds = [0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800, 3600];

    /// <summary>Seconds, for calls and deliveries.</summary>
    private static readonly double[] CallSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Counter<long> submitted;
    private readonly Counter<long> admitted;
    private readonly Counter<long> queued;
    private readonly Counter<long> started;
    private readonly Counter<long> completed;
    private readonly Counter<long> failed;
    private readonly Counter<long> cancelled;
    private readonly Counter<long> reconciled;
    private readonly Counter<long> refunds;
    private readonly Counter<long> webhooks;
    private readonly Counter<long> copies;
    private readonly Histogram<double> queueWait;
    private readonly Histogram<double> launchTime;
    private readonly Histogram<double> runTime;
    private readonly Histogram<double> endToEnd;
    private readonly Histogram<double> verdictDelay;
    private readonly Histogram<double> copyTime;
    private readonly Histogram<double> runningHubCalls;
    private readonly QueueFigures figures;

    public EngineMetrics(IMeterFactory meters, NpgsqlDataSource data, IOptions<JobHubOptions> options, TimeProvider clock, ILogger<EngineMetrics> logger)
    {
        var meter = meters.Create(MeterName);
        submitted = meter.CreateCounter<long>("jobhub.jobs.submitted", "{job}", "Submits handled, by tool and outcome (accepted, or the refusal's code).");
        admitted = meter.CreateCounter<long>("jobhub.jobs.admitted", "{job}", "Jobs given a slot, at their submit or from the queue.");
        queued = meter.CreateCounter<long>("jobhub.jobs.queued", "{job}", "Jobs put in the queue: at their submit (slots busy) or back after RunningHub's capacity error.");
        started = meter.CreateCounter<long>("jobhub.jobs.started", "{job}", "Jobs RunningHub accepted (starting to running).");
        completed = meter.CreateCounter<long>("jobhub.jobs.completed", "{job}", "Jobs completed, by what told JobHub (webhook, reconcile, sweep).");
        failed = meter.CreateCounter<long>("jobhub.jobs.failed", "{job}", "Jobs failed, by JobHub's code and RunningHub's code.");
        cancelled = meter.CreateCounter<long>("jobhub.jobs.cancelled", "{job}", "Jobs cancelled, by cause (user, admin, sweep) and code.");
        reconciled = meter.CreateCounter<long>("jobhub.jobs.reconciled", "{job}", "Running jobs ended by asking RunningHub (page, admin, sweep) rather than by the webhook.");
        refunds = meter.CreateCounter<long>("jobhub.credits.refunds", "{refund}", "Refunds of a job's debit.");
        webhooks = meter.CreateCounter<long>("jobhub.webhook.deliveries", "{delivery}", "RunningHub webhook deliveries, by outcome.");
        copies = meter.CreateCounter<long>("jobhub.outputs.copies", "{attempt}", "Output copy attempts, by outcome (copied, retry, gave_up, nothing_to_copy).");
        queueWait = Histogram(meter, "jobhub.job.queue.wait", "Time from the submit to a slot (0 when one was free).", JobSeconds);
        launchTime = Histogram(meter, "jobhub.job.launch.duration", "Time from a slot to RunningHub's task (uploads and start).", CallSeconds);
        runTime = Histogram(meter, "jobhub.job.run.duration", "Time from RunningHub's start to the job's end, by final status.", JobSeconds);
        endToEnd = Histogram(meter, "jobhub.job.duration", "Time from the submit to the job's end, by final status.", JobSeconds);
        verdictDelay = Histogram(meter, "jobhub.job.verdict.delay",
            "Time from the task's end at RunningHub (its start plus RunningHub's taskCostTime) to JobHub's knowing it, by path (webhook, reconcile).", JobSeconds);
        copyTime = Histogram(meter, "jobhub.outputs.copy.duration", "Time of one output copy attempt.", CallSeconds);
        runningHubCalls = Histogram(meter, "jobhub.runninghub.call.duration", "RunningHub API calls (retries included), by endpoint and outcome.", CallSeconds);

        figures = new QueueFigures(data, clock, logger);
        var limit = options.Value.MaxConcurrent;
        meter.CreateObservableGauge("jobhub.slots.limit", () => limit, "{slot}", "The most jobs starting or running at once (MaxConcurrent).");
        meter.CreateObservableGauge("jobhub.slots.used", IEnumerable<Measurement<int>> () => figures.Read() is { } f ? [new Measurement<int>(f.InSlot)] : [], "{slot}",
            "Jobs starting or running, over all instances.");
        meter.CreateObservableGauge("jobhub.queue.length", IEnumerable<Measurement<int>> () => figures.Read() is { } f ? [new Measurement<int>(f.Queued)] : [], "{job}",
            "Jobs waiting in the queue, over all instances.");
        meter.CreateObservableGauge("jobhub.queue.oldest_wait", IEnumerable<Measurement<double>> () => figures.Read() is { } f ? [new Measurement<double>(f.OldestWaitSeconds)] : [], "s",
            "How long the head of the queue has waited (0 when nobody waits).");
    }

    public void Submitted(string tool, SubmitJobResult result)
    {
        submitted.Add(1, new("tool", tool), new("outcome", result.ErrorCode ?? "accepted"));
        if (result.Job is not { } job)
        {
            return;
        }

        if (job.Status == JobStatus.Queued)
        {
            queued.Add(1, new("tool", tool), new("reason", "busy"));
        }
        else
        {
            admitted.Add(1, new("tool", tool), new("from", "submit"));
            queueWait.Record(0, new KeyValuePair<string, object?>("tool", tool));
        }
    }

    /// <summary>A queued job promoted to a slot (the promotion's statement changed its row).</summary>
    public void Promoted(string tool, DateTime? queuedAt, DateTime now)
    {
        admitted.Add(1, new("tool", tool), new("from", "queue"));
        queueWait.Record(Seconds(queuedAt, now), new KeyValuePair<string, object?>("tool", tool));
    }

    /// <summary>A launch put its job back in the queue after RunningHub's capacity error.</summary>
    public void Requeued(string tool) => queued.Add(1, new("tool", tool), new("reason", "capacity"));

    public void Started(string tool, DateTime? startingAt, DateTime now)
    {
        started.Add(1, new KeyValuePair<string, object?>("tool", tool));
        launchTime.Record(Seconds(startingAt, now), new KeyValuePair<string, object?>("tool", tool));
    }

    /// <summary>A job reached <paramref name="status"/> now (the termination's statement changed it).</summary>
    public void Ended(string tool, string status, string cause, string? code, string? providerCode, DateTime createdAt, DateTime? startedAt,
        DateTime now, bool refunded)
    {
        var toolTag = new KeyValuePair<string, object?>("tool", tool);
        switch (status)
        {
            case JobStatus.Completed:
                completed.Add(1, toolTag, new("cause", cause));
                break;
            case JobStatus.Failed:
                failed.Add(1, toolTag, new("code", code ?? ""), new("provider_code", ProviderCode(providerCode)));
                break;
            default:
                cancelled.Add(1, toolTag, new("cause", cause), new("code", code ?? ""));
                break;
        }

        if (refunded)
        {
            refunds.Add(1, toolTag, new("status", status));
        }

        if (startedAt is not null)
        {
            runTime.Record(Seconds(startedAt, now), toolTag, new("status", status));
        }

        endToEnd.Record(Seconds(createdAt, now), toolTag, new("status", status));
    }

    /// <summary>A running job ended now because JobHub asked RunningHub (the webhook did not tell it first).</summary>
    public void Reconciled(string tool, string status, string cause) => reconciled.Add(1, new("tool", tool), new("status", status), new("cause", cause));

    /// <summary>
    /// JobHub learned a task's end by <paramref name="path"/>: the delay since RunningHub's end, estimated as the job's start
    /// plus RunningHub's own run time (not recorded when RunningHub gave none).
    /// </summary>
    public void VerdictKnown(string path, string tool, DateTime? startedAt, decimal? taskSeconds, DateTime now)
    {
        if (startedAt is { } start && taskSeconds is { } seconds && seconds >= 0)
        {
            var end = start.AddSeconds((double)seconds);
            verdictDelay.Record(Seconds(end, now), new("path", path), new("tool", tool));
        }
    }

    public void WebhookDelivered(string outcome) => webhooks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void OutputCopy(string outcome, TimeSpan elapsed)
    {
        copies.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        copyTime.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void RunningHubCall(string endpoint, string outcome, TimeSpan elapsed) =>
        runningHubCalls.Record(elapsed.TotalSeconds, new("endpoint", endpoint), new("outcome", outcome));

    private static Histogram<double> Histogram(Meter meter, string name, string description, double[] buckets) =>
        meter.CreateHistogram(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    private static double Seconds(DateTime? from, DateTime to) => from is { } start && to > start ? (to - start).TotalSeconds : 0;

    /// <summary>RunningHub's codes are a short documented list; anything else (a forged or new answer) is one label, not one series each.</summary>
    private static string ProviderCode(string? code) => code switch
    {
        null or "" => "",
        { Length: <= 6 } when code.All(char.IsAsciiDigit) => code,
        _ => "other",
    };

    /// <summary>
    /// The slot and queue figures, one indexed read shared by the gauges of a collection (at most one a second): they are
    /// the database's (every instance admits and ends jobs), which no instance's own count could know.
    /// </summary>
    private sealed class QueueFigures(NpgsqlDataSource data, TimeProvider clock, ILogger logger)
    {
        private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1);
        private readonly Lock gate = new();
        private DateTimeOffset readAt = DateTimeOffset.MinValue;
        private Figures? last;

        public sealed record Figures(int InSlot, int Queued, double OldestWaitSeconds);

        /// <summary>The figures, read now unless read within the last second; null when the database cannot be read.</summary>
        public Figures? Read()
        {
            lock (gate)
            {
                var now = clock.GetUtcNow();
                if (now - readAt < Fresh)
                {
                    return last;
                }

                readAt = now;
                try
                {
                    // Raw SQL, synchronous: an observable gauge's callback cannot await; three figures in one round trip.
                    using var command = data.CreateCommand("""
                        SELECT (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running'))::int,
                               coalesce((SELECT queued FROM queue_count), 0),
                               (SELECT min(queued_at) FROM jobs WHERE status = 'queued')
                        """);
                    using var reader = command.ExecuteReader();
                    reader.Read();
                    var oldest = reader.IsDBNull(2) ? (DateTime?)null : reader.GetDateTime(2);
                    last = new Figures(reader.GetInt32(0), reader.GetInt32(1), Seconds(oldest, now.UtcDateTime));
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    logger.LogWarning(ex, "The slot and queue gauges could not be read");
                    last = null;
                }

                return last;
            }
        }
    }
}
