using Dapper;
using Npgsql;

namespace JobHub.Core.Jobs;

/// <summary>
/// R1–R3, R11, R12: every decision that takes or frees a slot, or reorders the queue, runs inside a
/// transaction holding one PostgreSQL advisory lock, so any number of instances see one consistent
/// count. Queue positions are computed when read, never stored.
/// </summary>
internal static class SlotAdmission
{
    private const long LockKey = 0x4A6F624875625351; // "JobHubSQ"

    public static Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@LockKey)", new { LockKey }, transaction);

    /// <summary>The least-loaded enabled account with room under its own limit, or null when all are full.</summary>
    public static Task<string?> PickAccountAsync(NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        connection.ExecuteScalarAsync<string?>("""
            SELECT a.account_key
            FROM runninghub_accounts a
            LEFT JOIN (SELECT account_key, count(*) AS n FROM jobs WHERE status IN ('starting', 'running') GROUP BY account_key) load
                ON load.account_key = a.account_key
            WHERE a.enabled AND coalesce(load.n, 0) < a.max_concurrent
            ORDER BY coalesce(load.n, 0)::float8 / a.max_concurrent, a.account_key
            LIMIT 1
            """, transaction: transaction);

    /// <summary>
    /// Takes the slot lock and decides where a new job goes, in one round trip for the lock and the count: the account
    /// it starts on, or null when it must queue (R1 full, R2 older jobs wait, R11 no account has room).
    /// </summary>
    public static async Task<string?> LockAndAdmitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int maxConcurrent)
    {
        // Two statements in one round trip: the second reads with its own snapshot, taken after the lock is held.
        long inSlot;
        bool anyQueued;
        await using (var batch = await connection.QueryMultipleAsync("""
            SELECT pg_advisory_xact_lock(@LockKey);
            SELECT (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running')),
                   EXISTS (SELECT 1 FROM jobs WHERE status = 'queued')
            """, new { LockKey }, transaction))
        {
            await batch.ReadAsync();
            (inSlot, anyQueued) = await batch.ReadSingleAsync<(long, bool)>();
        }

        return inSlot >= maxConcurrent || anyQueued ? null : await PickAccountAsync(connection, transaction);
    }

    /// <summary>Whether a queued job could start now (not backing off); read without the lock.</summary>
    public static Task<bool> AnyReadyAsync(NpgsqlConnection connection, DateTime now, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= @now))",
            new { now }, cancellationToken: cancellationToken));

    /// <summary>
    /// Takes the slot lock and promotes, in one round trip when nothing can start (the common case: the lock
    /// is then held only for that round trip and the commit).
    /// </summary>
    public static async Task<IReadOnlyList<Job>> LockAndPromoteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int maxConcurrent,
        DateTime now, string cause)
    {
        // Two statements in one round trip: the second reads (with its own snapshot, taken after the lock is held).
        long inSlot;
        bool anyReady;
        await using (var batch = await connection.QueryMultipleAsync("""
            SELECT pg_advisory_xact_lock(@LockKey);
            SELECT (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running')),
                   EXISTS (SELECT 1 FROM jobs WHERE status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= @now))
            """, new { LockKey, now }, transaction))
        {
            await batch.ReadAsync();
            (inSlot, anyReady) = await batch.ReadSingleAsync<(long, bool)>();
        }

        return inSlot >= maxConcurrent || !anyReady ? [] : await PromoteAsync(connection, transaction, maxConcurrent, now, cause);
    }

    /// <summary>
    /// R12: fills free slots from the head of the queue, oldest first across all tools. Stops at a head
    /// that is still backing off after a capacity error (it keeps its place: strict FIFO). Returns the
    /// promoted jobs, now <c>starting</c>, for the caller to launch after commit.
    /// </summary>
    public static async Task<IReadOnlyList<Job>> PromoteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int maxConcurrent,
        DateTime now, string cause)
    {
        var promoted = new List<Job>();
        while (true)
        {
            var inSlot = await connection.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM jobs WHERE status IN ('starting', 'running')", transaction: transaction);
            if (inSlot >= maxConcurrent)
            {
                break;
            }

            var head = await connection.QueryFirstOrDefaultAsync<Job>(
                "SELECT * FROM jobs WHERE status = 'queued' ORDER BY queued_at, queue_seq LIMIT 1", transaction: transaction);
            if (head is null || (head.NextAttemptAt is { } notBefore && notBefore > now))
            {
                break;
            }

            var account = await PickAccountAsync(connection, transaction);
            if (account is null)
            {
                break;
            }

            var job = await JobTransitions.PromoteAsync(connection, transaction, head.Id, account, now);
            if (job is null)
            {
                continue; // the head left the queue meanwhile (cancelled): the next one is the head now
            }

            await JobEvents.TransitionAsync(connection, transaction, job, JobStatus.Queued, JobStatus.Starting, now, cause,
                message: "promoted from the queue", data: new { account });
            promoted.Add(job);
        }

        return promoted;
    }
}
