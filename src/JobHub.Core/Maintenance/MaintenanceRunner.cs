using System.Collections.Concurrent;
using System.Text.Json;
using Hangfire;
using Hangfire.States;
using Hangfire.Storage.Monitoring;
using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Maintenance;

public static class MaintenanceTriggers
{
    public const string Schedule = "schedule";
    public const string Manual = "manual";
}

/// <summary>One run of a sweep, as Hangfire keeps it: its job id, when, where, how it ended and what it counted.</summary>
public sealed record MaintenanceRun(
    string Id,
    string TaskKey,
    string Trigger,
    string? Instance,
    DateTime StartedAt,
    DateTime? FinishedAt,
    string Outcome,
    string? Counts,
    string? Error);

/// <summary>
/// Every sweep runs as a Hangfire job (<see cref="RunAsync"/>), on its schedule or at "Run now"; Hangfire's storage is the one
/// record of the runs, read back here for the admin pages. A failed run is not retried (the next tick runs it again); a sweep
/// never overlaps itself in one instance, and is idempotent across instances (<see cref="IMaintenanceTask"/>).
/// </summary>
public sealed class MaintenanceRunner(IEnumerable<IMaintenanceTask> tasks, IBackgroundJobClient jobs, JobStorage storage,
    IDbContextFactory<JobHubDbContext> contexts, ILogger<MaintenanceRunner> logger)
{
    /// <summary>The Hangfire queue of the sweeps.</summary>
    public const string Queue = "maintenance";

    private readonly IReadOnlyDictionary<string, IMaintenanceTask> byKey = tasks.ToDictionary(t => t.Key, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    public IReadOnlyCollection<IMaintenanceTask> Tasks => byKey.Values.ToList();

    public bool IsKnown(string key) => byKey.ContainsKey(key);

    /// <summary>
    /// The Hangfire job of every sweep. A scheduled run while the previous one still runs in this instance is skipped
    /// (counted as such); a manual one waits for it.
    /// </summary>
    [Queue(Queue)]
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("{0} ({1})")]
    public async Task<MaintenanceCounts> RunAsync(string key, string trigger, CancellationToken cancellationToken)
    {
        var task = byKey.TryGetValue(key, out var found) ? found : throw new ArgumentException($"unknown maintenance task '{key}'", nameof(key));
        var gate = gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        if (trigger == MaintenanceTriggers.Schedule)
        {
            // Pausing removes the recurring job; a tick already enqueued (or an instance that re-registered it while the
            // pause was being set) finds the flag here.
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                if (await db.Set<MaintenanceTaskRow>().AnyAsync(t => t.TaskKey == key && t.Paused, cancellationToken))
                {
                    return new MaintenanceCounts { ["skipped_paused"] = 1 };
                }
            }

            if (!await gate.WaitAsync(0, cancellationToken))
            {
                return new MaintenanceCounts { ["skipped_still_running"] = 1 };
            }
        }
        else
        {
            await gate.WaitAsync(cancellationToken);
        }

        try
        {
            return await task.RunAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Maintenance task {Task} failed", key);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Enqueues a run now (any instance's Hangfire server takes it); returns its Hangfire job id.</summary>
    public string Enqueue(string key)
    {
        if (!IsKnown(key))
        {
            throw new ArgumentException($"unknown maintenance task '{key}'", nameof(key));
        }

        return jobs.Enqueue<MaintenanceRunner>(runner => runner.RunAsync(key, MaintenanceTriggers.Manual, CancellationToken.None));
    }

    /// <summary>Runs the sweep now through Hangfire and waits for its end (up to <paramref name="timeout"/>); the run as recorded.</summary>
    public async Task<MaintenanceRun> RunNowAsync(string key, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var id = Enqueue(key);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (Run(id) is { FinishedAt: not null } finished)
            {
                return finished;
            }

            if (DateTime.UtcNow > deadline)
            {
                return Run(id) ?? throw new TimeoutException($"maintenance run {id} of {key} was not found");
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>One run by its Hangfire job id; null when Hangfire no longer has it or it is not a sweep.</summary>
    public MaintenanceRun? Run(string jobId)
    {
        var details = storage.GetMonitoringApi().JobDetails(jobId);
        return details?.Job is { } job && job.Type == typeof(MaintenanceRunner) && job.Args.Count >= 2 && job.Args[0] is string key
            ? ToRun(jobId, key, job.Args[1] as string ?? MaintenanceTriggers.Schedule, details)
            : null;
    }

    /// <summary>The task's most recent runs, newest first, from the jobs Hangfire still keeps.</summary>
    public IReadOnlyList<MaintenanceRun> History(string key, int limit = 50) =>
        Recent().Where(r => r.Key == key).Take(limit).Select(r => Run(r.Id)).OfType<MaintenanceRun>().ToList();

    /// <summary>Each task's newest run that Hangfire still keeps, whatever started it (one read of Hangfire's lists for all).</summary>
    public IReadOnlyDictionary<string, MaintenanceRun> LatestRuns() =>
        Recent().DistinctBy(r => r.Key).Select(r => Run(r.Id)).OfType<MaintenanceRun>().ToDictionary(r => r.TaskKey, StringComparer.Ordinal);

    /// <summary>The sweeps' runs in Hangfire's running, succeeded and failed lists, newest first.</summary>
    private List<(string Id, string Key)> Recent()
    {
        var monitoring = storage.GetMonitoringApi();
        var runs = new List<(string Id, string Key, DateTime At)>();
        void Add(string id, Hangfire.Common.Job? job, DateTime? at)
        {
            if (job?.Type == typeof(MaintenanceRunner) && job.Args.Count >= 1 && job.Args[0] is string key)
            {
                runs.Add((id, key, at ?? DateTime.MinValue));
            }
        }

        foreach (var (id, dto) in monitoring.ProcessingJobs(0, 100))
        {
            Add(id, dto.Job, dto.StartedAt);
        }

        foreach (var (id, dto) in monitoring.SucceededJobs(0, 1000))
        {
            Add(id, dto.Job, dto.SucceededAt);
        }

        foreach (var (id, dto) in monitoring.FailedJobs(0, 200))
        {
            Add(id, dto.Job, dto.FailedAt);
        }

        return runs.OrderByDescending(r => r.At).ThenByDescending(r => long.TryParse(r.Id, out var n) ? n : 0).Select(r => (r.Id, r.Key)).ToList();
    }

    private static MaintenanceRun ToRun(string id, string key, string trigger, JobDetailsDto details)
    {
        var states = details.History.OrderBy(s => s.CreatedAt).ToList();
        var processing = states.LastOrDefault(s => s.StateName == ProcessingState.StateName);
        var final = states.LastOrDefault(s => s.StateName == SucceededState.StateName || s.StateName == FailedState.StateName
            || s.StateName == DeletedState.StateName);
        var outcome = final?.StateName == SucceededState.StateName ? "succeeded"
            : final?.StateName == FailedState.StateName ? "failed"
            : final is not null ? "skipped"
            : processing is null ? "enqueued" : "running";
        string? counts = null;
        if (final?.StateName == SucceededState.StateName && final.Data.TryGetValue("Result", out var result) && !string.IsNullOrEmpty(result))
        {
            // Hangfire keeps the returned counts as JSON; shown in JobHub's own compact form.
            counts = JobJson.Serialize(JsonDocument.Parse(result).RootElement.EnumerateObject()
                .Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetInt32()));
        }

        var error = final?.StateName == FailedState.StateName && final.Data.TryGetValue("ExceptionMessage", out var message) ? message : null;
        var instance = processing is not null && processing.Data.TryGetValue("ServerId", out var server) ? server : null;
        return new MaintenanceRun(id, key, trigger, instance, processing?.CreatedAt ?? details.CreatedAt ?? DateTime.MinValue,
            final?.CreatedAt, outcome, counts, error);
    }
}
