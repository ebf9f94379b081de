using JobHub.Core.Credits;
using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using JobHub.Core.Persistence;
using JobHub.Core.Tools;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Invariants;

/// <summary>One broken promise, with the job or user it concerns.</summary>
public sealed record Violation(string Rule, string Subject, string Detail);

/// <summary>
/// Reads the database and reports every violation of the rules R1, R2, R4, R6, R8 and R12 (docs/spec.md), each checked
/// below in its own method. It only reads, so it can run against a live system; run it once the system has settled,
/// since a job may wait beside a free slot for up to a sweep interval.
/// </summary>
public sealed class InvariantChecker(
    IDbContextFactory<JobHubDbContext> contexts,
    ToolCatalog catalog,
    IOptions<JobHubOptions> options,
    IOptions<MaintenanceOptions> maintenance,
    TimeProvider clock)
{
    /// <summary>Work a sweep needs beyond its interval (a RunningHub call, a transaction) before a late job counts as stuck.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(30);

    public async Task<IReadOnlyList<Violation>> CheckAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var events = await (
            from e in db.Set<JobEventRow>().AsNoTracking()
            join j in db.Set<Job>() on e.JobId equals j.Id
            where e.Kind == JobEvents.Transition
            orderby e.Id
            select new EventRow(e.Id, e.JobId, e.At, e.FromStatus, e.ToStatus, j.LaunchAttempts)).ToListAsync(cancellationToken);
        var violations = new List<Violation>();
        violations.AddRange(Concurrency(events));
        violations.AddRange(FreeSlotWaits(events));
        violations.AddRange(await OneActivePerUserAsync(db));
        violations.AddRange(await FifoAsync(db));
        violations.AddRange(await DeadlinesAsync(db));
        violations.AddRange(await CreditsAsync(db));
        violations.AddRange(await QueueCountAsync(db));
        return violations;
    }

    internal sealed record EventRow(long Id, Guid JobId, DateTime At, string? FromStatus, string? ToStatus, int LaunchAttempts);

    private static bool InSlot(string? status) => status is JobStatus.Starting or JobStatus.Running;

    /// <summary>R1, replayed in event order (a slot is taken only under the slot lock, so the order of ids never overstates).</summary>
    private IEnumerable<Violation> Concurrency(IReadOnlyList<EventRow> events)
    {
        var max = options.Value.MaxConcurrent;
        var current = 0;
        foreach (var e in events)
        {
            current += (InSlot(e.ToStatus) ? 1 : 0) - (InSlot(e.FromStatus) ? 1 : 0);
            if (current > max)
            {
                yield return new Violation("R1", e.JobId.ToString(), $"{current} jobs in a slot at event {e.Id} ({e.At:O}); the limit is {max}");
            }
        }
    }

    /// <summary>R3/R12: a job that could start (never backed off) waits while a slot is free, for longer than a sweep interval.</summary>
    private IEnumerable<Violation> FreeSlotWaits(IReadOnlyList<EventRow> events)
    {
        var max = options.Value.MaxConcurrent;
        var allowed = maintenance.Value.IntervalFor(MaintenanceTaskKeys.PromoteQueue) + Slack;
        var inSlot = 0;
        var queued = new HashSet<Guid>();
        DateTime? since = null;
        foreach (var e in events)
        {
            inSlot += (InSlot(e.ToStatus) ? 1 : 0) - (InSlot(e.FromStatus) ? 1 : 0);
            if (e.ToStatus == JobStatus.Queued && e.LaunchAttempts == 0)
            {
                queued.Add(e.JobId);
            }
            else if (e.FromStatus == JobStatus.Queued)
            {
                queued.Remove(e.JobId);
            }

            var stranded = inSlot < max && queued.Count > 0;
            if (stranded && since is null)
            {
                since = e.At;
            }
            else if (!stranded && since is { } start)
            {
                if (e.At - start > allowed)
                {
                    yield return new Violation("R12", e.JobId.ToString(), $"a job waited beside a free slot from {start:O} to {e.At:O}");
                }

                since = null;
            }
        }

        if (since is { } open && clock.GetUtcNow().UtcDateTime - open > allowed)
        {
            yield return new Violation("R12", string.Join(",", queued), $"jobs wait beside a free slot since {open:O}");
        }
    }

    /// <summary>
    /// R2's positions: the count of queued jobs the database keeps (queue_count, by triggers; every admission's place in the
    /// queue is read from it) is the number of jobs queued. Raw SQL: queue_count is not in the EF model.
    /// </summary>
    private static async Task<IEnumerable<Violation>> QueueCountAsync(JobHubDbContext db)
    {
        var counts = (await db.Database.SqlQuery<QueueCounts>($"""
            SELECT (SELECT queued FROM queue_count) AS kept, (SELECT count(*)::int FROM jobs WHERE status = 'queued') AS queued
            """).ToListAsync()).Single();
        return counts.Kept == counts.Queued ? [] : [new Violation("R2", "queue_count", $"the kept count says {counts.Kept} queued; {counts.Queued} are")];
    }

    internal sealed record QueueCounts(int? Kept, int Queued);

    private static async Task<IEnumerable<Violation>> OneActivePerUserAsync(JobHubDbContext db) =>
        (await db.Set<Job>().Where(j => JobStatus.Active.Contains(j.Status)).GroupBy(j => j.UserId).Where(g => g.Count() > 1)
            .Select(g => new { UserId = g.Key, Count = g.Count() }).ToListAsync())
        .Select(r => new Violation("R4", r.UserId.ToString(), $"{r.Count} active jobs"));

    /// <summary>
    /// R2: no job left the queue for a slot while a job ahead of it in queue order was still waiting. Raw SQL: each stint
    /// in the queue is paired with the event that ended it and with the stints it overlapped, a search over the event log
    /// that reads far more plainly in SQL than in LINQ.
    /// </summary>
    private static async Task<IEnumerable<Violation>> FifoAsync(JobHubDbContext db) =>
        (await db.Database.SqlQuery<Overtaking>($"""
            WITH stints AS (
                SELECT e.job_id, e.id AS entered,
                       (SELECT min(l.id) FROM job_events l WHERE l.job_id = e.job_id AND l.kind = 'transition' AND l.id > e.id
                                                          AND l.from_status = 'queued') AS left_at
                FROM job_events e WHERE e.kind = 'transition' AND e.to_status = 'queued'),
            promotions AS (
                SELECT s.job_id, s.entered, s.left_at FROM stints s
                JOIN job_events l ON l.id = s.left_at AND l.to_status = 'starting')
            SELECT x.job_id AS overtaken, p.job_id AS started, p.left_at AS at
            FROM promotions p
            JOIN stints x ON x.job_id <> p.job_id AND x.entered < p.left_at AND (x.left_at IS NULL OR x.left_at > p.left_at)
            JOIN jobs jx ON jx.id = x.job_id
            JOIN jobs jp ON jp.id = p.job_id
            WHERE (jx.queued_at, jx.queue_seq) < (jp.queued_at, jp.queue_seq)
            """).ToListAsync()).Select(r => new Violation("R2", r.Started.ToString(), $"started (event {r.At}) ahead of {r.Overtaken}, which waited before it"));

    internal sealed record Overtaking(Guid Overtaken, Guid Started, long At);

    /// <summary>R8: nothing stays active past its deadline, and no job took longer than every deadline together.</summary>
    private async Task<IEnumerable<Violation>> DeadlinesAsync(JobHubDbContext db)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var o = options.Value;
        var sweep = maintenance.Value.DefaultInterval + Slack;
        var jobs = await db.Set<Job>()
            .Select(j => new { j.Id, j.Status, j.ToolKey, j.CreatedAt, j.QueuedAt, j.StartingAt, j.StartedAt, j.CompletedAt })
            .ToListAsync();
        var violations = new List<Violation>();
        foreach (var job in jobs)
        {
            var hard = catalog.Find(job.ToolKey)?.HardTimeout ?? TimeSpan.FromMinutes(10);
            var limit = job.Status switch
            {
                JobStatus.Queued => (job.QueuedAt ?? job.CreatedAt) + o.MaxQueueWait + sweep,
                JobStatus.Starting => (job.StartingAt ?? job.CreatedAt) + o.OrphanAfter + sweep,
                JobStatus.Running => (job.StartedAt ?? job.CreatedAt) + hard + sweep,
                _ => job.CreatedAt + o.MaxQueueWait + o.OrphanAfter + hard + (3 * sweep),
            };
            var end = job.CompletedAt ?? now;
            if (end > limit)
            {
                violations.Add(new Violation("R8", job.Id.ToString(), $"{job.Status} until {end:O}, past its deadline {limit:O}"));
            }
        }

        return violations;
    }

    /// <summary>R6: one debit a job, one refund exactly when it failed or was cancelled, of the debit's amount; balance = ledger.</summary>
    private static async Task<IEnumerable<Violation>> CreditsAsync(JobHubDbContext db)
    {
        var ledger = db.Set<CreditLedgerRow>();
        var jobs = (await db.Set<Job>()
            .Select(j => new
            {
                j.Id,
                j.Status,
                Debits = ledger.Count(l => l.JobId == j.Id && l.Kind == LedgerKinds.Debit),
                Refunds = ledger.Count(l => l.JobId == j.Id && l.Kind == LedgerKinds.Refund),
                Net = ledger.Where(l => l.JobId == j.Id).Sum(l => l.Amount),
            })
            .ToListAsync())
            .Where(j => j.Debits != 1 || j.Refunds != (j.Status is JobStatus.Failed or JobStatus.Cancelled ? 1 : 0) || (j.Refunds == 1 && j.Net != 0))
            .Select(j => new Violation("R6", j.Id.ToString(), $"{j.Status} with {j.Debits} debit(s), {j.Refunds} refund(s), net {j.Net}"));
        var users = (await db.Users
            .Select(u => new { u.Id, Balance = u.CreditBalance, Ledger = ledger.Where(l => l.UserId == u.Id).Sum(l => l.Amount) })
            .Where(u => u.Ledger != u.Balance)
            .ToListAsync())
            .Select(u => new Violation("R6", u.Id.ToString(), $"balance {u.Balance} but the ledger sums to {u.Ledger}"));
        return jobs.Concat(users).ToList();
    }
}
