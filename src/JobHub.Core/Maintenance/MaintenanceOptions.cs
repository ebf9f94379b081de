using System.ComponentModel.DataAnnotations;

namespace JobHub.Core.Maintenance;

/// <summary>The scheduled sweeps (section <c>JobHub:Maintenance</c>).</summary>
public sealed class MaintenanceOptions : IValidatableObject
{
    public const string Section = "JobHub:Maintenance";

    /// <summary>
    /// This instance registers the sweeps' recurring jobs at start-up (any instance may: registering is idempotent, and
    /// Hangfire runs each tick once for all). Off (tests, a web-only node), it registers none; its Hangfire server still
    /// takes "Run now" and whatever other instances scheduled.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often each sweep runs, by task key; a task not named here uses <see cref="DefaultInterval"/>.</summary>
    public Dictionary<string, TimeSpan> Intervals { get; set; } = [];

    public TimeSpan DefaultInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A running job checked less than this long ago is not queried again by the sweep (the page's poll may have done it).</summary>
    public TimeSpan RecheckAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Input and output files of jobs that ended longer ago than this are deleted.</summary>
    public TimeSpan FilesRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Webhook deliveries older than this are deleted.</summary>
    public TimeSpan RecordsRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Uploaded inputs that no job uses are deleted after this long.</summary>
    public TimeSpan UnusedInputsAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Attempts at copying one job's outputs before giving up (each retry waits twice as long as the one before).</summary>
    [Range(1, 20)]
    public int OutputCopyMaxAttempts { get; set; } = 8;

    /// <summary>The wait before the first retry of a failed copy; it doubles with each attempt, up to an hour.</summary>
    public TimeSpan OutputCopyRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Copies this instance runs at once (its Hangfire server for the <c>outputs</c> queue); 0: none, the other instances
    /// take the copies this one enqueues.
    /// </summary>
    [Range(0, 64)]
    public int OutputCopyWorkers { get; set; } = 4;

    /// <summary>
    /// Completions within this long after the first share one Hangfire copy job (0: only those already waiting together).
    /// It delays a copy's start by at most this much.
    /// </summary>
    public TimeSpan OutputCopyBatchWindow { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>RunningHub's output URLs stay valid this long; copying stops trying after it.</summary>
    public TimeSpan OutputUrlLifetime { get; set; } = TimeSpan.FromHours(24);

    [Range(1, long.MaxValue)]
    public long MaxOutputBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>The longest one result file's download may take, its body included (a server that trickles bytes is cut off).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "02:00:00")]
    public TimeSpan OutputCopyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The result files kept of one job; RunningHub's answer naming more has the rest recorded on the job's event, not kept.</summary>
    [Range(1, 100)]
    public int MaxOutputsPerJob { get; set; } = 8;

    /// <summary>Tasks whose own default differs from <see cref="DefaultInterval"/>: retention deletes old files, hourly is plenty.</summary>
    public static readonly IReadOnlyDictionary<string, TimeSpan> BuiltInIntervals = new Dictionary<string, TimeSpan>
    {
        [MaintenanceTaskKeys.Retention] = TimeSpan.FromHours(1),
    };

    public TimeSpan IntervalFor(string taskKey) =>
        Intervals.TryGetValue(taskKey, out var interval) ? interval
        : BuiltInIntervals.TryGetValue(taskKey, out var builtIn) ? builtIn
        : DefaultInterval;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (key, interval) in Intervals.Append(new KeyValuePair<string, TimeSpan>(nameof(DefaultInterval), DefaultInterval)))
        {
            // A sweep is a Hangfire recurring job on a cron with seconds: a second is the finest step.
            if (interval < TimeSpan.FromSeconds(1) || interval > TimeSpan.FromDays(7))
            {
                yield return new ValidationResult($"Maintenance interval '{key}' must be between 1 second and 7 days (was {interval}).");
            }
        }

        if (OutputCopyRetryDelay <= TimeSpan.Zero || OutputCopyRetryDelay > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult($"OutputCopyRetryDelay must be more than zero and at most one hour (was {OutputCopyRetryDelay}).");
        }

        if (OutputCopyBatchWindow < TimeSpan.Zero || OutputCopyBatchWindow > TimeSpan.FromSeconds(5))
        {
            yield return new ValidationResult($"OutputCopyBatchWindow must be between 0 and 5 seconds (was {OutputCopyBatchWindow}).");
        }

        if (FilesRetention < TimeSpan.FromHours(1) || RecordsRetention < TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("Retention periods must be at least one hour.");
        }
    }
}
