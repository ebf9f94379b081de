using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs;

/// <summary>
/// R1–R3, R11, R12: every decision that takes or frees a slot, or reorders the queue, runs inside a
/// transaction holding one PostgreSQL advisory lock, so any number of instances see one consistent
/// count. Queue positions are computed when read, never stored. The statements are raw SQL (EF has no advisory
/// locks, and the counts must be read after the lock is held, in the same round trip).
/// </summary>
internal static class SlotAdmission
{
    /// <summary>
    /// The slot lock ("JobHubSQ" as the key), taken by a statement that returns no rows: sent ahead of a query in the
    /// same command, it costs no round trip of its own, and the query after it (a statement of its own) reads with a
    /// snapshot taken once the lock is held.
    /// </summary>
    private const string Lock = "DO $$ BEGIN PERFORM pg_advisory_xact_lock(5363613744568095569); END $$;\n";

    internal sealed record Load(long InSlot, bool Waiting);

    public static Task LockAsync(JobHubDbContext db) => db.Database.ExecuteSqlRawAsync(Lock);

    /// <summary>The least-loaded enabled account with room under its own limit, or null when all are full.</summary>
    public static Task<string?> PickAccountAsync(JobHubDbContext db) =>
        db.Database.SqlQueryRaw<string?>("""
            SELECT a.account_key
            FROM runninghub_accounts a
            LEFT JOIN (SELECT account_key, count(*) AS n FROM jobs WHERE status IN ('starting', 'running') GROUP BY account_key) load
                ON load.account_key = a.account_key
            WHERE a.enabled AND coalesce(load.n, 0) < a.max_concurrent
            ORDER BY coalesce(load.n, 0)::float8 / a.max_concurrent, a.account_key
            LIMIT 1
            """).FirstRowAsync();

    /// <summary>
    /// Takes the slot lock and decides where a new job goes, in one round trip for the lock and the count: the account
    /// it starts on, or null when it must queue (R1 full, R2 older jobs wait, R11 no account has room).
    /// </summary>
    public static async Task<string?> LockAndAdmitAsync(JobHubDbContext db, int maxConcurrent)
    {
        var load = await db.Database.SqlQueryRaw<Load>(Lock + """
            SELECT (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running')) AS in_slot,
                   EXISTS (SELECT 1 FROM jobs WHERE status = 'queued') AS waiting
            """).FirstRowAsync();
        return load!.InSlot >= maxConcurrent || load.Waiting ? null : await PickAccountAsync(db);
    }

    /// <summary>Whether a queued job could start now (not backing off); read without the lock.</summary>
    public static Task<bool> AnyReadyAsync(JobHubDbContext db, DateTime now, CancellationToken cancellationToken) =>
        db.Set<Job>().AnyAsync(j => j.Status == JobStatus.Queued && (j.NextAttemptAt == null || j.NextAttemptAt <= now), cancellationToken);

    /// <summary>
    /// Takes the slot lock and promotes, in one round trip when nothing can start (the common case: the lock
    /// is then held only for that round trip and the commit).
    /// </summary>
    public static async Task<IReadOnlyList<Job>> LockAndPromoteAsync(JobHubDbContext db, int maxConcurrent, DateTime now, string cause)
    {
        var load = await db.Database.SqlQueryRaw<Load>(Lock + """
            SELECT (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running')) AS in_slot,
                   EXISTS (SELECT 1 FROM jobs WHERE status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= {0})) AS waiting
            """, now).FirstRowAsync();
        return load!.InSlot >= maxConcurrent || !load.Waiting ? [] : await PromoteAsync(db, maxConcurrent, now, cause);
    }

    /// <summary>
    /// R12: fills free slots from the head of the queue, oldest first across all tools. Stops at a head
    /// that is still backing off after a capacity error (it keeps its place: strict FIFO). Returns the
    /// promoted jobs, now <c>starting</c>, for the caller to launch after commit.
    /// </summary>
    public static async Task<IReadOnlyList<Job>> PromoteAsync(JobHubDbContext db, int maxConcurrent, DateTime now, string cause)
    {
        var jobs = db.Set<Job>().AsNoTracking();
        var promoted = new List<Job>();
        while (true)
        {
            var inSlot = await jobs.CountAsync(j => j.Status == JobStatus.Starting || j.Status == JobStatus.Running);
            if (inSlot >= maxConcurrent)
            {
                break;
            }

            var head = await jobs.Where(j => j.Status == JobStatus.Queued).OrderBy(j => j.QueuedAt).ThenBy(j => j.QueueSeq).FirstOrDefaultAsync();
            if (head is null || (head.NextAttemptAt is { } notBefore && notBefore > now))
            {
                break;
            }

            var account = await PickAccountAsync(db);
            if (account is null)
            {
                break;
            }

            var job = await JobTransitions.PromoteAsync(db, head.Id, account, now);
            if (job is null)
            {
                continue; // the head left the queue meanwhile (cancelled): the next one is the head now
            }

            await JobEvents.TransitionAsync(db, job, JobStatus.Queued, JobStatus.Starting, now, cause,
                message: "promoted from the queue", data: new { account });
            promoted.Add(job);
        }

        return promoted;
    }
}
