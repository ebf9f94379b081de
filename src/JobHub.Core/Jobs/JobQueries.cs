using JobHub.Core.Credits;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs;

/// <summary>One row of a person's credit ledger; <see cref="ToolKey"/> is the tool of the job it paid or refunded, when read with it.</summary>
public sealed record LedgerEntry(long Id, Guid? JobId, string Kind, int Amount, int BalanceAfter, string? Reason, DateTime CreatedAt,
    string? ToolKey = null);

public sealed record LedgerPage(IReadOnlyList<LedgerEntry> Entries, int Total);

public sealed record JobPage(IReadOnlyList<Job> Jobs, int Total);

/// <summary>What the History page asks for: a page, its size, the sort, and the filters (each null: any).</summary>
public sealed record HistoryQuery(
    int Page = 0,
    int PageSize = 20,
    HistorySort SortBy = HistorySort.Created,
    bool Descending = true,
    string? ToolKey = null,
    string? Status = null,
    DateTime? CreatedFrom = null,
    DateTime? CreatedBefore = null)
{
    /// <summary>The state filter for every active state (queued, starting, running).</summary>
    public const string InProgress = "in-progress";
}

public enum HistorySort
{
    Created,
    Ended,
    Tool,
    Status,
    Credits,
}

/// <summary>
/// What the pages read about a user's jobs and credits (EF Core, no tracking: each call takes a context from the pooled
/// factory and gives it back). Every read is scoped to its owner: another user's job is simply not found.
/// </summary>
public sealed class JobQueries(IDbContextFactory<JobHubDbContext> contexts)
{
    /// <summary>One job by id, any owner's: compiled once, for the engine's hot paths (launch, webhook, reconcile, copy).</summary>
    internal static readonly Func<JobHubDbContext, Guid, Task<Job?>> ById =
        EF.CompileAsyncQuery((JobHubDbContext db, Guid id) => db.Set<Job>().AsNoTracking().SingleOrDefault(j => j.Id == id));

    public async Task<Job?> GetAsync(Guid jobId, Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        return await context.Set<Job>().AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId && j.UserId == ownerId, cancellationToken);
    }

    /// <summary>Any user's job: for admins only (the caller checks the role).</summary>
    public async Task<Job?> GetAnyAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        return await context.Set<Job>().AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
    }

    /// <summary>The user's active job (R4: at most one), whatever tool it is for.</summary>
    public async Task<Job?> ActiveAsync(Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        return await context.Set<Job>().AsNoTracking()
            .SingleOrDefaultAsync(j => j.UserId == ownerId && JobStatus.Active.Contains(j.Status), cancellationToken);
    }

    /// <summary>
    /// One page of a user's jobs, filtered (tool, state, created from/to) and sorted (by <see cref="HistorySort"/>; newest
    /// first by default), with the number of jobs that match. Served by the jobs_user_created index.
    /// </summary>
    public async Task<JobPage> HistoryAsync(Guid ownerId, HistoryQuery query, CancellationToken cancellationToken = default)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, 100);
        var page = Math.Max(query.Page, 0);
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        var mine = context.Set<Job>().AsNoTracking().Where(j => j.UserId == ownerId);
        if (query.ToolKey is { } tool)
        {
            mine = mine.Where(j => j.ToolKey == tool);
        }

        if (query.Status is HistoryQuery.InProgress)
        {
            mine = mine.Where(j => JobStatus.Active.Contains(j.Status));
        }
        else if (query.Status is { } status)
        {
            mine = mine.Where(j => j.Status == status);
        }

        if (query.CreatedFrom is { } from)
        {
            mine = mine.Where(j => j.CreatedAt >= from);
        }

        if (query.CreatedBefore is { } before)
        {
            mine = mine.Where(j => j.CreatedAt < before);
        }

        var sorted = (query.SortBy, query.Descending) switch
        {
            (HistorySort.Tool, false) => mine.OrderBy(j => j.ToolKey),
            (HistorySort.Tool, true) => mine.OrderByDescending(j => j.ToolKey),
            (HistorySort.Status, false) => mine.OrderBy(j => j.Status),
            (HistorySort.Status, true) => mine.OrderByDescending(j => j.Status),
            (HistorySort.Ended, false) => mine.OrderBy(j => j.CompletedAt == null).ThenBy(j => j.CompletedAt),
            (HistorySort.Ended, true) => mine.OrderBy(j => j.CompletedAt == null).ThenByDescending(j => j.CompletedAt),
            (HistorySort.Credits, false) => mine.OrderBy(j => j.CreditCost),
            (HistorySort.Credits, true) => mine.OrderByDescending(j => j.CreditCost),
            (HistorySort.Created, false) => mine.OrderBy(j => j.CreatedAt),
            _ => mine.OrderByDescending(j => j.CreatedAt),
        };
        var jobs = await sorted.ThenByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).Skip(page * pageSize).Take(pageSize)
            .ToListAsync(cancellationToken);
        return new JobPage(jobs, await mine.CountAsync(cancellationToken));
    }

    public async Task<IReadOnlyList<LedgerEntry>> LedgerAsync(Guid ownerId, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        return await context.Set<CreditLedgerRow>().AsNoTracking().Where(l => l.UserId == ownerId).OrderByDescending(l => l.Id)
            .Take(Math.Clamp(limit, 1, 1000))
            .Select(l => new LedgerEntry(l.Id, l.JobId, l.Kind, l.Amount, l.BalanceAfter, l.Reason, l.CreatedAt))
            .ToListAsync(cancellationToken);
    }

    /// <summary>One page of a person's ledger, newest first, each entry with its job's tool, and how many entries there are.</summary>
    public async Task<LedgerPage> LedgerPageAsync(Guid ownerId, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, 100);
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        var mine = context.Set<CreditLedgerRow>().AsNoTracking().Where(l => l.UserId == ownerId);
        var entries = await mine.OrderByDescending(l => l.Id).Skip(Math.Max(page, 0) * pageSize).Take(pageSize)
            .Select(l => new LedgerEntry(l.Id, l.JobId, l.Kind, l.Amount, l.BalanceAfter, l.Reason, l.CreatedAt,
                context.Set<Job>().Where(j => j.Id == l.JobId).Select(j => j.ToolKey).FirstOrDefault()))
            .ToListAsync(cancellationToken);
        return new LedgerPage(entries, await mine.CountAsync(cancellationToken));
    }

    public async Task<int> BalanceAsync(Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var context = await contexts.CreateDbContextAsync(cancellationToken);
        return await context.Users.AsNoTracking().Where(u => u.Id == ownerId).Select(u => u.CreditBalance).SingleOrDefaultAsync(cancellationToken);
    }
}
