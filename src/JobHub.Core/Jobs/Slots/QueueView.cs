using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs.Slots;

public sealed record QueueEntry(int Position, Guid JobId, Guid UserId, string ToolKey, DateTime QueuedAt, DateTime? NextAttemptAt);

public sealed record AccountLoad(string AccountKey, int InSlot, int MaxConcurrent, bool Enabled);

public sealed record SlotUsage(int InSlot, int MaxConcurrent, int Queued, IReadOnlyList<AccountLoad> Accounts);

/// <summary>Queue positions and slot use, computed when read (R2): 1 = next to start.</summary>
public sealed class QueueView(IDbContextFactory<JobHubDbContext> contexts, IOptions<JobHubOptions> options)
{
    public async Task<int?> PositionAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Position(db, jobId);
    }

    /// <summary>
    /// A queued job's position: the jobs ahead of it in (queued_at, queue_seq) order, a row-value comparison served by the
    /// jobs_queue_order index, plus one. Compiled once: pages ask for it on every change of the queue.
    /// </summary>
    private static readonly Func<JobHubDbContext, Guid, Task<int?>> Position = EF.CompileAsyncQuery((JobHubDbContext db, Guid jobId) =>
        db.Set<Job>().Where(me => me.Id == jobId && me.Status == JobStatus.Queued)
            .Select(me => (int?)db.Set<Job>().Count(q => q.Status == JobStatus.Queued && EF.Functions.LessThan(
                ValueTuple.Create(q.QueuedAt, q.QueueSeq), ValueTuple.Create(me.QueuedAt, me.QueueSeq))) + 1)
            .FirstOrDefault());

    /// <summary>The positions of several jobs in one read; a job that is not queued is missing from the answer.</summary>
    public async Task<IReadOnlyDictionary<Guid, int>> PositionsAsync(IReadOnlyCollection<Guid> jobIds, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Raw SQL: the numbering is a window function (EF has none), so only the asked-for rows leave the database.
        var rows = await db.Database.SqlQuery<QueuedPosition>($"""
            SELECT id, position FROM (
                SELECT id, (row_number() OVER (ORDER BY queued_at, queue_seq))::int AS position FROM jobs WHERE status = 'queued') q
            WHERE id = ANY({jobIds.ToArray()})
            """).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.Id, r => r.Position);
    }

    public async Task<IReadOnlyList<QueueEntry>> GetQueueAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var queue = await db.Set<Job>().AsNoTracking().Where(j => j.Status == JobStatus.Queued).OrderBy(j => j.QueuedAt).ThenBy(j => j.QueueSeq)
            .Select(j => new { j.Id, j.UserId, j.ToolKey, j.QueuedAt, j.NextAttemptAt })
            .ToListAsync(cancellationToken);
        return queue.Select((j, index) => new QueueEntry(index + 1, j.Id, j.UserId, j.ToolKey, j.QueuedAt ?? default, j.NextAttemptAt)).ToList();
    }

    public async Task<SlotUsage> GetSlotsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var jobs = db.Set<Job>().AsNoTracking();
        var load = await jobs.Where(j => j.Status == JobStatus.Starting || j.Status == JobStatus.Running)
            .GroupBy(j => j.AccountKey).Select(g => new { AccountKey = g.Key ?? "", InSlot = g.Count() })
            .ToDictionaryAsync(g => g.AccountKey, g => g.InSlot, cancellationToken);
        var accounts = await db.Set<RunningHubAccountRow>().AsNoTracking().OrderBy(a => a.AccountKey)
            .Select(a => new { a.AccountKey, a.MaxConcurrent, a.Enabled })
            .ToListAsync(cancellationToken);
        var queued = await jobs.CountAsync(j => j.Status == JobStatus.Queued, cancellationToken);
        return new SlotUsage(load.Values.Sum(), options.Value.MaxConcurrent, queued,
            accounts.Select(a => new AccountLoad(a.AccountKey, load.GetValueOrDefault(a.AccountKey), a.MaxConcurrent, a.Enabled)).ToList());
    }

    internal sealed record QueuedPosition(Guid Id, int Position);
}
