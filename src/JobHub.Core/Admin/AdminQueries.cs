using JobHub.Core.Accounts;
using JobHub.Core.Credits;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using JobHub.Core.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Admin;

public sealed record StateCount(string Status, int Count);

public sealed record ToolDay(string ToolKey, int Completed, int Failed, int Cancelled, double? MedianSeconds, double? P95Seconds)
{
    public double? SuccessRate => Completed + Failed == 0 ? null : (double)Completed / (Completed + Failed);
}

public sealed record CostPoint(DateTime Day, string ToolKey, decimal Cost, int Jobs);

public sealed record Overview(
    SlotUsage Slots,
    DateTime? OldestQueuedAt,
    IReadOnlyList<StateCount> States,
    IReadOnlyList<ToolDay> LastDay,
    IReadOnlyList<CostPoint> CostByDay,
    IReadOnlyList<WebhookNoiseCount> WebhookNoise);

public sealed record AdminJobRow(Job Job, string Email);

public sealed record FailureGroup(string ErrorCode, string? Message, int Count, DateTime Last);

public sealed record JobEventRow(long Id, DateTime At, string Kind, string? FromStatus, string? ToStatus, string Cause, string? Actor, string? Message, string? Data,
    int Repeats = 0, DateTime? LastRepeatAt = null);

public sealed record DeliveryRow(long Id, DateTime ReceivedAt, int HttpStatus, string Outcome, string? TaskId, string? Headers, string? Body);

/// <summary>One page of a longer list: its rows, the list's length, and which page of what size this is.</summary>
public sealed record Paged<T>(IReadOnlyList<T> Rows, int Total, int Page, int PageSize)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

public sealed record JobDetail(Job Job, string Email, Paged<JobEventRow> Events, Paged<DeliveryRow> Deliveries, IReadOnlyList<LedgerEntry> Credits);

/// <param name="DeletedAt">When the person deleted the account (its e-mail is then a placeholder); null for a live account.</param>
public sealed record UserRow(Guid Id, string Email, int CreditBalance, DateTime CreatedAt, bool IsAdmin, DateTime? LockoutEnd, DateTime? DeletedAt = null);

public sealed record AdminActionRow(long Id, DateTime At, string? AdminEmail, string Action, string? Target, string Reason, string? Data);

/// <param name="Error">An error's code as the list shows it, or words of its message (see <see cref="AdminQueries.SearchJobsAsync"/>).</param>
public sealed record JobFilter(string? Status = null, string? ToolKey = null, string? UserEmail = null, DateTime? From = null, DateTime? To = null,
    string? Error = null, int Page = 0, int PageSize = 50);

/// <summary>
/// What the admin dashboard reads (EF Core, no tracking, a pooled context per call). Everything is computed from the
/// tables when asked, never cached counters.
/// </summary>
public sealed class AdminQueries(IDbContextFactory<JobHubDbContext> contexts, QueueView queueView, TimeProvider clock)
{
    /// <summary>The days (UTC, today included) over which the overview counts the refused webhook deliveries.</summary>
    public const int NoiseDays = 7;

    /// <summary>The events and the deliveries a job's page shows at once.</summary>
    public const int DetailPageSize = 50;

    public async Task<Overview> OverviewAsync(int costDays = 14, CancellationToken cancellationToken = default)
    {
        var slots = await queueView.GetSlotsAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var jobs = db.Set<Job>().AsNoTracking();
        var oldest = await jobs.Where(j => j.Status == JobStatus.Queued).MinAsync(j => j.QueuedAt, cancellationToken);
        var states = await jobs.GroupBy(j => j.Status).OrderBy(g => g.Key).Select(g => new StateCount(g.Key, g.Count()))
            .ToListAsync(cancellationToken);
        var since = now.AddHours(-24);
        // Raw SQL: the run-time percentiles are ordered-set aggregates (percentile_cont), which EF cannot express.
        var lastDay = await db.Database.SqlQuery<ToolDay>($"""
            SELECT tool_key,
                   count(*) FILTER (WHERE status = 'completed')::int AS completed,
                   count(*) FILTER (WHERE status = 'failed')::int AS failed,
                   count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - started_at))
                       FILTER (WHERE status = 'completed' AND started_at IS NOT NULL) AS median_seconds,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - started_at))
                       FILTER (WHERE status = 'completed' AND started_at IS NOT NULL) AS p95seconds
            FROM jobs
            WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at > {since}
            GROUP BY tool_key ORDER BY tool_key
            """).ToListAsync(cancellationToken);
        var costSince = now.Date.AddDays(-(costDays - 1));
        var cost = await jobs.Where(j => JobStatus.Terminal.Contains(j.Status) && j.CompletedAt >= costSince)
            .GroupBy(j => new { Day = j.CompletedAt!.Value.Date, j.ToolKey })
            .OrderBy(g => g.Key.Day).ThenBy(g => g.Key.ToolKey)
            .Select(g => new CostPoint(g.Key.Day, g.Key.ToolKey, g.Sum(j => j.CostMoney ?? 0m), g.Count()))
            .ToListAsync(cancellationToken);
        var noiseSince = DateOnly.FromDateTime(now).AddDays(-(NoiseDays - 1));
        var noise = await db.Set<WebhookNoiseRow>().AsNoTracking().Where(n => n.Day >= noiseSince).GroupBy(n => n.Reason).OrderBy(g => g.Key)
            .Select(g => new WebhookNoiseCount(g.Key, g.Sum(n => n.Count), g.Max(n => n.LastAt)))
            .ToListAsync(cancellationToken);
        return new Overview(slots, oldest, states, lastDay, cost, noise);
    }

    public async Task<IReadOnlyList<AdminJobRow>> ActiveAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await WithEmail(db, db.Set<Job>().Where(j => JobStatus.Active.Contains(j.Status)))
            .OrderBy(r => r.Job.Status == JobStatus.Queued ? 1 : 0).ThenBy(r => r.Job.QueuedAt).ThenBy(r => r.Job.QueueSeq).ThenBy(r => r.Job.StartingAt)
            .Select(r => new AdminJobRow(r.Job, r.Email))
            .ToListAsync(cancellationToken);
    }

    public async Task<(IReadOnlyList<AdminJobRow> Rows, int Total)> SearchJobsAsync(JobFilter filter, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = WithEmail(db, db.Set<Job>());
        // Only the filters that are set become conditions.
        if (Blank(filter.Status) is { } status)
        {
            rows = rows.Where(r => r.Job.Status == status);
        }

        if (Blank(filter.ToolKey) is { } toolKey)
        {
            rows = rows.Where(r => r.Job.ToolKey == toolKey);
        }

        if (Blank(filter.UserEmail)?.ToUpperInvariant() is { } email)
        {
            rows = rows.Where(r => r.NormalizedEmail!.Contains(email));
        }

        if (filter.From is { } from)
        {
            rows = rows.Where(r => r.Job.CreatedAt >= from);
        }

        if (filter.To is { } to)
        {
            rows = rows.Where(r => r.Job.CreatedAt < to);
        }

        if (Blank(filter.Error) is { } error)
        {
            // The code as the list shows it ("RUNNINGHUB_ERROR 805") or RunningHub's alone (the failures page's link), by
            // prefix; RunningHub's message or JobHub's anywhere; in any case.
            var literal = LikeLiteral(error);
            rows = rows.Where(r => EF.Functions.ILike((r.Job.ErrorCode ?? "") + " " + (r.Job.ProviderCode ?? ""), literal + "%", Escape)
                || EF.Functions.ILike(r.Job.ProviderCode ?? "", literal + "%", Escape)
                || EF.Functions.ILike(r.Job.ProviderMessage ?? "", "%" + literal + "%", Escape)
                || EF.Functions.ILike(r.Job.ErrorMessage ?? "", "%" + literal + "%", Escape));
        }

        var pageSize = Math.Clamp(filter.PageSize, 1, 200);
        var page = await rows.OrderByDescending(r => r.Job.CreatedAt).ThenByDescending(r => r.Job.Id)
            .Skip(Math.Max(0, filter.Page) * pageSize).Take(pageSize)
            .Select(r => new AdminJobRow(r.Job, r.Email))
            .ToListAsync(cancellationToken);
        return (page, await rows.CountAsync(cancellationToken));
    }

    /// <summary>A job with one page of its events and one of its deliveries (each oldest first), and its credits.</summary>
    public async Task<JobDetail?> JobAsync(Guid jobId, int eventsPage = 0, int deliveriesPage = 0, int pageSize = DetailPageSize,
        CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await WithEmail(db, db.Set<Job>().Where(j => j.Id == jobId)).Select(r => new AdminJobRow(r.Job, r.Email))
            .SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }

        pageSize = Math.Clamp(pageSize, 1, 200);
        var allEvents = db.Set<Jobs.JobEventRow>().AsNoTracking().Where(e => e.JobId == jobId);
        var eventCount = await allEvents.CountAsync(cancellationToken);
        eventsPage = Math.Clamp(eventsPage, 0, Math.Max(0, (eventCount - 1) / pageSize));
        var events = await allEvents.OrderBy(e => e.Id).Skip(eventsPage * pageSize).Take(pageSize)
            .Select(e => new JobEventRow(e.Id, e.At, e.Kind, e.FromStatus, e.ToStatus, e.Cause, e.Actor, e.Message, e.Data, e.Repeats, e.LastRepeatAt))
            .ToListAsync(cancellationToken);
        var allDeliveries = db.Set<WebhookDeliveryRow>().AsNoTracking().Where(d => d.JobId == jobId);
        var deliveryCount = await allDeliveries.CountAsync(cancellationToken);
        deliveriesPage = Math.Clamp(deliveriesPage, 0, Math.Max(0, (deliveryCount - 1) / pageSize));
        var deliveries = await allDeliveries.OrderBy(d => d.Id).Skip(deliveriesPage * pageSize).Take(pageSize)
            .Select(d => new DeliveryRow(d.Id, d.ReceivedAt, d.HttpStatus, d.Outcome, d.TaskId, d.Headers, d.Body))
            .ToListAsync(cancellationToken);
        var credits = await db.Set<CreditLedgerRow>().AsNoTracking().Where(l => l.JobId == jobId).OrderBy(l => l.Id)
            .Select(l => new LedgerEntry(l.Id, l.JobId, l.Kind, l.Amount, l.BalanceAfter, l.Reason, l.CreatedAt))
            .ToListAsync(cancellationToken);
        return new JobDetail(row.Job, row.Email, new Paged<JobEventRow>(events, eventCount, eventsPage, pageSize),
            new Paged<DeliveryRow>(deliveries, deliveryCount, deliveriesPage, pageSize), credits);
    }

    public async Task<IReadOnlyList<FailureGroup>> FailuresAsync(TimeSpan window, CancellationToken cancellationToken = default)
    {
        var since = clock.GetUtcNow().UtcDateTime - window;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<Job>().AsNoTracking().Where(j => j.Status == JobStatus.Failed && j.CompletedAt > since)
            .GroupBy(j => new { Code = j.ProviderCode ?? j.ErrorCode ?? "?", Message = j.ProviderMessage ?? j.ErrorMessage })
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Max(j => j.CompletedAt)).Take(200)
            .Select(g => new FailureGroup(g.Key.Code, g.Key.Message, g.Count(), g.Max(j => j.CompletedAt) ?? since))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<UserRow>> UsersAsync(string? search, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = db.Users.AsNoTracking();
        if (Blank(search)?.ToUpperInvariant() is { } wanted)
        {
            users = users.Where(u => u.NormalizedEmail!.Contains(wanted));
        }

        return await UserRows(db, users.OrderBy(u => u.Email).Take(Math.Clamp(limit, 1, 500)), cancellationToken);
    }

    public async Task<UserRow?> UserAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await UserRows(db, db.Users.AsNoTracking().Where(u => u.Id == userId), cancellationToken)).SingleOrDefault();
    }

    public async Task<IReadOnlyList<AdminActionRow>> ActionsAsync(int limit = 200, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<AdminActionEntry>().AsNoTracking().OrderByDescending(a => a.Id).Take(Math.Clamp(limit, 1, 1000))
            .Select(a => new AdminActionRow(a.Id, a.At, db.Users.Where(u => u.Id == a.AdminId).Select(u => u.Email).FirstOrDefault(),
                a.Action, a.Target, a.Reason, a.Data))
            .ToListAsync(cancellationToken);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private const string Escape = @"\";

    /// <summary>Text a LIKE pattern matches as typed: its wildcards and <see cref="Escape"/> escaped.</summary>
    private static string LikeLiteral(string text) => text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");

    /// <summary>Jobs with their owner's e-mail (the owner's normalized e-mail too, for the search).</summary>
    private static IQueryable<JobWithOwner> WithEmail(JobHubDbContext db, IQueryable<Job> jobs) =>
        from job in jobs.AsNoTracking()
        join user in db.Users on job.UserId equals user.Id
        select new JobWithOwner { Job = job, Email = user.Email ?? "", NormalizedEmail = user.NormalizedEmail };

    private static async Task<List<UserRow>> UserRows(JobHubDbContext db, IQueryable<JobHubUser> users, CancellationToken cancellationToken)
    {
        var rows = await users
            .Select(u => new
            {
                u.Id,
                u.Email,
                u.CreditBalance,
                u.CreatedAt,
                IsAdmin = db.UserRoles.Any(ur => ur.UserId == u.Id && db.Roles.Any(r => r.Id == ur.RoleId && r.NormalizedName == "ADMIN")),
                u.LockoutEnd,
                u.DeletedAt,
            })
            .ToListAsync(cancellationToken);
        return rows.Select(u => new UserRow(u.Id, u.Email ?? "", u.CreditBalance, u.CreatedAt, u.IsAdmin, u.LockoutEnd?.UtcDateTime, u.DeletedAt)).ToList();
    }

    private sealed class JobWithOwner
    {
        public required Job Job { get; init; }

        public required string Email { get; init; }

        public string? NormalizedEmail { get; init; }
    }
}
