using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Jobs;

public sealed record QueueEntry(int Position, Guid JobId, Guid UserId, string ToolKey, DateTime QueuedAt, DateTime? NextAttemptAt);

public sealed record AccountLoad(string AccountKey, int InSlot, int MaxConcurrent, bool Enabled);

public sealed record SlotUsage(int InSlot, int MaxConcurrent, int Queued, IReadOnlyList<AccountLoad> Accounts);

/// <summary>Queue positions and slot use, computed when read (R2): 1 = next to start.</summary>
public sealed class QueueView(NpgsqlDataSource dataSource, IOptions<JobHubOptions> options)
{
    public async Task<int?> PositionAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await PositionAsync(connection, null, jobId, cancellationToken);
    }

    /// <summary>The position read on a connection the caller already holds (one connection per caller: no pool starvation).</summary>
    public static async Task<int?> PositionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid jobId,
        CancellationToken cancellationToken = default)
    {
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition("""
            SELECT (SELECT count(*) FROM jobs q
                    WHERE q.status = 'queued' AND (q.queued_at, q.queue_seq) < (me.queued_at, me.queue_seq))::int + 1
            FROM jobs me WHERE me.id = @jobId AND me.status = 'queued'
            """, new { jobId }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The positions of several jobs in one read; a job that is not queued is missing from the answer.</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> PositionsAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(Guid Id, int Position)>(new CommandDefinition("""
            SELECT id, position FROM (
                SELECT id, (row_number() OVER (ORDER BY queued_at, queue_seq))::int AS position FROM jobs WHERE status = 'queued') q
            WHERE id = ANY(@ids)
            """, new { ids = jobIds.ToArray() }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id, r => r.Position);
    }

    public async Task<IReadOnlyList<QueueEntry>> GetQueueAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<QueueEntry>(new CommandDefinition("""
            SELECT (row_number() OVER (ORDER BY queued_at, queue_seq))::int AS position, id AS job_id, user_id, tool_key, queued_at, next_attempt_at
            FROM jobs WHERE status = 'queued' ORDER BY queued_at, queue_seq
            """, cancellationToken: cancellationToken))).ToList();
    }

    public async Task<SlotUsage> GetSlotsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var accounts = (await connection.QueryAsync<AccountLoad>(new CommandDefinition("""
            SELECT a.account_key, coalesce(load.n, 0)::int AS in_slot, a.max_concurrent, a.enabled
            FROM runninghub_accounts a
            LEFT JOIN (SELECT account_key, count(*) AS n FROM jobs WHERE status IN ('starting', 'running') GROUP BY account_key) load
                ON load.account_key = a.account_key
            ORDER BY a.account_key
            """, cancellationToken: cancellationToken))).ToList();
        var (inSlot, queued) = await connection.QuerySingleAsync<(int, int)>(new CommandDefinition("""
            SELECT (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running'))::int,
                   (SELECT count(*) FROM jobs WHERE status = 'queued')::int
            """, cancellationToken: cancellationToken));
        return new SlotUsage(inSlot, options.Value.MaxConcurrent, queued, accounts);
    }
}
