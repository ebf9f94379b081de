using Hangfire;
using Hangfire.Storage;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Maintenance;

/// <summary>What the dashboard shows of one sweep.</summary>
public sealed record MaintenanceTaskStatus(
    string Key,
    string Description,
    TimeSpan Interval,
    bool Paused,
    DateTimeOffset? NextRunAt,
    MaintenanceRun? LastRun);

/// <summary>
/// Each sweep is a Hangfire recurring job (id: the task's key; interval: <c>JobHub:Maintenance:Intervals</c>) that every
/// maintenance instance registers at start-up, idempotently; Hangfire fires each tick once for all. Pausing removes it and
/// sets the flag in <c>maintenance_tasks</c>, so an instance starting later leaves it paused; resuming registers it again.
/// </summary>
public sealed class MaintenanceSchedule(
    MaintenanceRunner runner,
    IRecurringJobManager recurring,
    JobStorage storage,
    IDbContextFactory<JobHubDbContext> contexts,
    IOptions<MaintenanceOptions> options,
    TimeProvider clock,
    ILogger<MaintenanceSchedule> logger) : IHostedService
{
    /// <summary>How soon start-up tries again a sweep whose Hangfire lock was taken.</summary>
    public static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource stopping = new();
    private Task? retrying;

    /// <summary>
    /// Applies every sweep's schedule. A sweep whose Hangfire lock stays taken (an instance killed while it held it keeps it
    /// until Hangfire's lock timeout) does not stop start-up: its schedule as registered before keeps running, and this
    /// instance applies its own in the background once the lock is free.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            logger.LogInformation("This instance schedules no maintenance (JobHub:Maintenance:Enabled=false)");
            return;
        }

        var blocked = await TryApplyAsync(runner.Tasks.Select(t => t.Key).ToList(), cancellationToken);
        if (blocked.Count > 0)
        {
            retrying = ApplyWhenFreeAsync(blocked, stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        if (retrying is { } running)
        {
            await running.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Applies the schedule of each sweep it can; the keys whose Hangfire lock stayed taken.</summary>
    private async Task<List<string>> TryApplyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var paused = await PausedAsync(cancellationToken);
        var blocked = new List<string>();
        foreach (var key in keys)
        {
            try
            {
                Apply(key, paused.Contains(key));
            }
            catch (DistributedLockTimeoutException ex)
            {
                logger.LogWarning("The schedule of maintenance task {Task} could not be applied yet ({Reason}); trying again every {Every}",
                    key, ex.Message, RetryEvery);
                blocked.Add(key);
            }
        }

        return blocked;
    }

    private async Task ApplyWhenFreeAsync(List<string> blocked, CancellationToken cancellationToken)
    {
        while (blocked.Count > 0)
        {
            try
            {
                await Task.Delay(RetryEvery, cancellationToken);
                blocked = await TryApplyAsync(blocked, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Applying the maintenance schedule failed; trying again");
            }
        }

        logger.LogInformation("The maintenance schedule is applied");
    }

    /// <summary>Registers every sweep's recurring job with its current interval, or removes it while the sweep is paused.</summary>
    public async Task ApplyAsync(CancellationToken cancellationToken = default)
    {
        var paused = await PausedAsync(cancellationToken);
        foreach (var task in runner.Tasks)
        {
            Apply(task.Key, paused.Contains(task.Key));
        }
    }

    /// <summary>
    /// The cron expression for an interval: Hangfire's six-field form for intervals under a minute. An interval that
    /// does not divide its unit evenly runs at the nearest that does (every 7 s runs every 6 s), never less often.
    /// </summary>
    public static string CronFor(TimeSpan interval)
    {
        static int Step(double value, int unit) => Enumerable.Range(1, unit).Where(d => unit % d == 0).Last(d => d <= Math.Max(1, value));
        return interval switch
        {
            { TotalSeconds: < 60 } => $"*/{Step(interval.TotalSeconds, 60)} * * * * *",
            { TotalMinutes: < 60 } => $"0 */{Step(interval.TotalMinutes, 60)} * * * *",
            { TotalHours: < 24 } => $"0 0 */{Step(interval.TotalHours, 24)} * * *",
            _ => "0 0 0 * * *",
        };
    }

    public async Task<bool> IsPausedAsync(string key, CancellationToken cancellationToken = default) =>
        (await PausedAsync(cancellationToken)).Contains(key);

    /// <summary>Pauses or resumes a sweep on every instance.</summary>
    public async Task SetPausedAsync(string key, bool paused, string? actor, CancellationToken cancellationToken = default)
    {
        if (!runner.IsKnown(key))
        {
            throw new ArgumentException($"unknown maintenance task '{key}'", nameof(key));
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // Raw SQL: two admins (or instances) setting the flag at once must not collide on the first insert; ON CONFLICT decides.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO maintenance_tasks (task_key, paused, updated_at, updated_by) VALUES ({key}, {paused}, {now}, {actor})
                ON CONFLICT (task_key) DO UPDATE SET paused = EXCLUDED.paused, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
                """, cancellationToken);
        }

        Apply(key, paused);
    }

    /// <summary>Every sweep with its schedule, pause flag, next run and last run, from Hangfire's storage.</summary>
    public async Task<IReadOnlyList<MaintenanceTaskStatus>> ListAsync(CancellationToken cancellationToken = default)
    {
        var paused = await PausedAsync(cancellationToken);
        using var connection = storage.GetConnection();
        var scheduled = connection.GetRecurringJobs().ToDictionary(r => r.Id, StringComparer.Ordinal);
        var latest = runner.LatestRuns();
        return runner.Tasks.OrderBy(t => t.Key, StringComparer.Ordinal).Select(task =>
        {
            var recurringJob = scheduled.GetValueOrDefault(task.Key);
            // The schedule's last tick (which Hangfire's lists may no longer hold) or a newer run, "Run now"'s included.
            var last = new[] { recurringJob?.LastJobId is { } lastId ? runner.Run(lastId) : null, latest.GetValueOrDefault(task.Key) }
                .OfType<MaintenanceRun>().MaxBy(r => r.StartedAt);
            DateTimeOffset? next = recurringJob?.NextExecution is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
            return new MaintenanceTaskStatus(task.Key, task.Description, options.Value.IntervalFor(task.Key), paused.Contains(task.Key), next, last);
        }).ToList();
    }

    private void Apply(string key, bool paused)
    {
        if (paused)
        {
            recurring.RemoveIfExists(key);
            return;
        }

        recurring.AddOrUpdate<MaintenanceRunner>(key, MaintenanceRunner.Queue,
            runner => runner.RunAsync(key, MaintenanceTriggers.Schedule, CancellationToken.None),
            CronFor(options.Value.IntervalFor(key)), new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
    }

    private async Task<HashSet<string>> PausedAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.Set<MaintenanceTaskRow>().AsNoTracking().Where(t => t.Paused).Select(t => t.TaskKey).ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
    }
}
