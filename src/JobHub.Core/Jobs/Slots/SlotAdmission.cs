using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs.Slots;

/// <summary>
/// R1–R3, R11, R12: every decision that takes or frees a slot, or reorders the queue, runs inside a
/// transaction holding one PostgreSQL advisory lock, so any number of instances see one consistent
/// count. Queue positions are computed when read, never stored.
/// </summary>
internal static class SlotAdmission
{
    /// <summary>The slot lock ("JobHubSQ" as the key), taken by a statement that returns no rows.</summary>
    private const string Lock = "DO $$ BEGIN PERFORM pg_advisory_xact_lock(5363613744568095569); END $$;\n";

    /// <summary>
    /// The admissions run on their generic plan (set before the lock is taken): planned for each call's values, they
    /// would spend longer planning than running, all of it holding the lock.
    /// </summary>
    private const string GenericPlan = "SET LOCAL plan_cache_mode = force_generic_plan;\n";

    /// <summary>
    /// The slot lock in shared mode, taken by every termination before it touches a row: releases run beside each other,
    /// never beside an admission or a promotion, so a release sees every admission committed before it and an admission
    /// after it sees the slot free. A job never waits beside a free slot.
    /// </summary>
    internal const string ReleaseLock = "DO $$ BEGIN PERFORM pg_advisory_xact_lock_shared(5363613744568095569); END $$;\n";

    /// <summary>
    /// Read once after a batch of releases, still holding the slot lock in shared mode (<see cref="TerminationBatcher"/>):
    /// whether a job is queued (the triggers' count) and a slot is free, so that a promotion could start one. The slots
    /// are counted only when a job waits, and only up to the limit.
    /// </summary>
    internal static readonly SqlStatement SlotWaiting = new("""
        SELECT coalesce((SELECT queued FROM queue_count), 0) > 0
               AND (SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status IN ('starting', 'running') LIMIT @max_concurrent) AS slot) < @max_concurrent
        """);

    /// <summary>
    /// Everything a slot decision reads, in one statement: the jobs in a slot, the head of the queue (and until when it
    /// backs off), and the least-loaded enabled account with room under its own limit (null when all are full).
    /// </summary>
    internal const string State = """
        SELECT (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running')) AS in_slot,
               head.id AS head_id, head.user_id AS head_user_id, head.next_attempt_at AS head_not_before,
               head.tool_key AS head_tool_key, head.queued_at AS head_queued_at,
               (SELECT a.account_key
                FROM runninghub_accounts a
                LEFT JOIN (SELECT account_key, count(*) AS n FROM jobs WHERE status IN ('starting', 'running') GROUP BY account_key) load
                    ON load.account_key = a.account_key
                WHERE a.enabled AND coalesce(load.n, 0) < a.max_concurrent
                ORDER BY coalesce(load.n, 0)::float8 / a.max_concurrent, a.account_key
                LIMIT 1) AS account
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (SELECT id, user_id, next_attempt_at, tool_key, queued_at FROM jobs WHERE status = 'queued' ORDER BY queued_at, queue_seq LIMIT 1) head ON true
        """;

    /// <summary>The slot lock, then the state read with a snapshot taken once the lock is held: a promotion's first round trip.</summary>
    internal const string LockAndState = Lock + State;

    internal sealed record SlotState(long InSlot, Guid? HeadId, Guid? HeadUserId, DateTime? HeadNotBefore, string? HeadToolKey, DateTime? HeadQueuedAt,
        string? Account)
    {
        /// <summary>A slot and an account are free and the head of the queue may start now.</summary>
        public bool CanPromote(int maxConcurrent, DateTime now) =>
            InSlot < maxConcurrent && HeadId is not null && (HeadNotBefore is not { } notBefore || notBefore <= now) && Account is not null;
    }

    /// <summary>Takes the slot lock alone (raw SQL: EF has no advisory locks).</summary>
    public static Task LockAsync(JobHubDbContext db) => db.Database.ExecuteSqlRawAsync(Lock);

    /// <summary>What a batch of admissions begins with (<see cref="AdmissionBatcher"/>): the generic plans, then the slot lock.</summary>
    internal static readonly IReadOnlyList<string> AdmissionHead = [GenericPlan, Lock];

    /// <summary>
    /// Whether the head of the queue could start now (a slot and an account free, not backing off), read without the
    /// lock: the promote sweep and a back-off's end ask first, and take the lock only when it could.
    /// </summary>
    public static async Task<bool> CouldPromoteAsync(JobHubDbContext db, int maxConcurrent, DateTime now) =>
        (await ReadAsync(db, State)).CanPromote(maxConcurrent, now);

    /// <summary>
    /// Takes the slot lock and promotes, in one round trip when nothing can start (the common case: the lock
    /// is then held only for that round trip and the commit).
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> LockAndPromoteAsync(JobHubDbContext db, int maxConcurrent, DateTime now, string cause,
        Telemetry.EngineMetrics metrics)
    {
        var state = await ReadAsync(db, LockAndState);
        return state.CanPromote(maxConcurrent, now) ? await PromoteAsync(db, state, maxConcurrent, now, cause, metrics) : [];
    }

    /// <summary>
    /// Raw SQL: the lock, when sent ahead of the read, is a statement that returns no rows, so the read (a statement of
    /// its own, with a snapshot taken once the lock is held) is the command's one result; EF has no advisory locks.
    /// </summary>
    private static async Task<SlotState> ReadAsync(JobHubDbContext db, string sql) =>
        (await db.Database.SqlQueryRaw<SlotState>(sql).FirstRowAsync())!;

    /// <summary>
    /// R12: fills free slots from the head of the queue, oldest first across all tools. Stops at a head
    /// that is still backing off after a capacity error (it keeps its place: strict FIFO). Returns the
    /// promoted jobs, now <c>starting</c>, for the caller to launch after commit.
    /// </summary>
    private static async Task<IReadOnlyList<Guid>> PromoteAsync(JobHubDbContext db, SlotState state, int maxConcurrent, DateTime now, string cause,
        Telemetry.EngineMetrics metrics)
    {
        var promoted = new List<Guid>();
        while (state.CanPromote(maxConcurrent, now))
        {
            if (await JobTransitions.PromoteAsync(db, state.HeadId!.Value, state.HeadUserId!.Value, state.Account!, now, cause))
            {
                promoted.Add(state.HeadId.Value);
                metrics.Promoted(state.HeadToolKey!, state.HeadQueuedAt, now);
            }

            // Read again: the slot just taken, the next head (or the same place, when the head left the queue meanwhile).
            state = await ReadAsync(db, State);
        }

        return promoted;
    }
}
