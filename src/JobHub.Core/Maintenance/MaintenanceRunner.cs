using System.Collections.Concurrent;
using Dapper;
using JobHub.Core.Jobs;
using Microsoft.Extensions.Logging;
using Npgsql;

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
public sealed class MaintenanceRunner(IEnumerable<IMaintenanceTask> tasks, NpgsqlDataSource dataSource, TimeProvider clock,
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
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool?>(new CommandDefinition(
            "SELECT paused FROM maintenance_tasks WHERE task_key = @key", new { key }, cancellationToken: cancellationToken)) ?? false;
    }

    /// <summary>Pauses or resumes a task's schedule in every instance (the flag lives in the database).</summary>
    public async Task SetPausedAsync(string key, bool paused, string? actor, CancellationToken cancellationToken = default)
    {
        if (!IsKnown(key))
        {
            throw new ArgumentException($"unknown maintenance task '{key}'", nameof(key));
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO maintenance_tasks (task_key, paused, updated_at, updated_by) VALUES (@key, @paused, @now, @actor)
            ON CONFLICT (task_key) DO UPDATE SET paused = EXCLUDED.paused, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """, new { key, paused, now = clock.GetUtcNow().UtcDateTime, actor }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<MaintenanceRun>> HistoryAsync(string key, int limit = 50, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<MaintenanceRun>(new CommandDefinition("""
            SELECT id, task_key, trigger, instance, started_at, finished_at, outcome, counts::text AS counts, error
            FROM maintenance_runs WHERE task_key = @key ORDER BY id DESC LIMIT @limit
            """, new { key, limit }, cancellationToken: cancellationToken))).ToList();
    }

    private async Task<MaintenanceRun> RunRecordedAsync(IMaintenanceTask task, string trigger, CancellationToken cancellationToken)
    {
        long id;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO maintenance_runs (task_key, trigger, instance, started_at) VALUES (@Key, @trigger, @Instance, @now) RETURNING id
                """, new { task.Key, trigger, Instance, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: cancellationToken));
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
        await using (var connection = await dataSource.OpenConnectionAsync(CancellationToken.None))
        {
            return await connection.QuerySingleAsync<MaintenanceRun>("""
                UPDATE maintenance_runs SET finished_at = @now, outcome = @outcome, counts = @counts::jsonb, error = nullif(@error, '')
                WHERE id = @id
                RETURNING id, task_key, trigger, instance, started_at, finished_at, outcome, counts::text AS counts, error
                """, new { id, now = clock.GetUtcNow().UtcDateTime, outcome, counts = counts is null ? null : JobJson.Serialize(counts), error });
        }
    }
}
