using System.Collections.Concurrent;
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

/// <summary>One row of <c>maintenance_runs</c>.</summary>
public sealed record MaintenanceRun(
    long Id,
    string TaskKey,
    string Trigger,
    string Instance,
    DateTime StartedAt,
    DateTime? FinishedAt,
    string Outcome,
    string? Counts,
    string? Error);

/// <summary>
/// Runs a sweep and records the run in PostgreSQL (start, end, outcome, counts, error) for the admin dashboard.
/// A scheduled run of a paused task is skipped without a record; "Run now" runs it even when paused. In one
/// instance a task never overlaps itself; across instances, sweeps are idempotent (see <see cref="IMaintenanceTask"/>).
/// A failing run is recorded and logged, and the schedule goes on.
/// </summary>
public sealed class MaintenanceRunner(IEnumerable<IMaintenanceTask> tasks, IDbContextFactory<JobHubDbContext> contexts, TimeProvider clock,
    ILogger<MaintenanceRunner> logger)
{
    private readonly IReadOnlyDictionary<string, IMaintenanceTask> byKey = tasks.ToDictionary(t => t.Key, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    public static string Instance { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    public IReadOnlyCollection<IMaintenanceTask> Tasks => byKey.Values.ToList();

    public bool IsKnown(string key) => byKey.ContainsKey(key);

    /// <summary>Runs the task now; null when a scheduled run was skipped (paused, or still running from last time).</summary>
    public async Task<MaintenanceRun?> RunAsync(string key, string trigger, CancellationToken cancellationToken = default)
    {
        var task = byKey.TryGetValue(key, out var found) ? found : throw new ArgumentException($"unknown maintenance task '{key}'", nameof(key));
        var gate = gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        if (trigger == MaintenanceTriggers.Schedule)
        {
            if (await IsPausedAsync(key, cancellationToken) || !await gate.WaitAsync(0, cancellationToken))
            {
                return null;
            }
        }
        else
        {
            await gate.WaitAsync(cancellationToken);
        }

        try
        {
            return await RunRecordedAsync(task, trigger, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<bool> IsPausedAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<MaintenanceTaskRow>().AnyAsync(t => t.TaskKey == key && t.Paused, cancellationToken);
    }

    /// <summary>Pauses or resumes a task's schedule in every instance (the flag lives in the database).</summary>
    public async Task SetPausedAsync(string key, bool paused, string? actor, CancellationToken cancellationToken = default)
    {
        if (!IsKnown(key))
        {
            throw new ArgumentException($"unknown maintenance task '{key}'", nameof(key));
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Raw SQL: two admins (or instances) setting the flag at once must not collide on the first insert; ON CONFLICT decides.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO maintenance_tasks (task_key, paused, updated_at, updated_by) VALUES ({key}, {paused}, {now}, {actor})
            ON CONFLICT (task_key) DO UPDATE SET paused = EXCLUDED.paused, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """, cancellationToken);
    }

    public async Task<IReadOnlyList<MaintenanceRun>> HistoryAsync(string key, int limit = 50, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<MaintenanceRunRow>().AsNoTracking().Where(r => r.TaskKey == key).OrderByDescending(r => r.Id).Take(limit)
            .ToListAsync(cancellationToken);
        return rows.Select(Run).ToList();
    }

    private async Task<MaintenanceRun> RunRecordedAsync(IMaintenanceTask task, string trigger, CancellationToken cancellationToken)
    {
        var row = new MaintenanceRunRow { TaskKey = task.Key, Trigger = trigger, Instance = Instance, StartedAt = clock.GetUtcNow().UtcDateTime,
            Outcome = "running" };
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.Add(row);
            await db.SaveChangesAsync(cancellationToken);
        }

        MaintenanceCounts? counts = null;
        string outcome, error = "";
        try
        {
            counts = await task.RunAsync(cancellationToken);
            outcome = "succeeded";
        }
        catch (Exception ex)
        {
            outcome = "failed";
            error = ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? "stopped: the instance is shutting down" : ex.Message;
            logger.LogError(ex, "Maintenance task {Task} failed", task.Key);
        }

        // Recorded even when the run was cancelled, so the history never shows a run that is "running" forever.
        await using (var db = await contexts.CreateDbContextAsync(CancellationToken.None))
        {
            row.FinishedAt = clock.GetUtcNow().UtcDateTime;
            row.Outcome = outcome;
            row.Counts = counts is null ? null : JobJson.Serialize(counts);
            row.Error = error.Length == 0 ? null : error;
            db.Update(row);
            await db.SaveChangesAsync(CancellationToken.None);
            // Read back: the counts as the database keeps them (jsonb's own text), as the history shows them.
            return Run(await db.Set<MaintenanceRunRow>().AsNoTracking().SingleAsync(r => r.Id == row.Id, CancellationToken.None));
        }
    }

    private static MaintenanceRun Run(MaintenanceRunRow row) =>
        new(row.Id, row.TaskKey, row.Trigger, row.Instance, row.StartedAt, row.FinishedAt, row.Outcome, row.Counts, row.Error);
}
