using Dapper;
using JobHub.Core.Jobs;
using Npgsql;

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
    IReadOnlyList<CostPoint> CostByDay);

public sealed record AdminJobRow(Job Job, string Email);

public sealed record FailureGroup(string ErrorCode, string? Message, int Count, DateTime Last);

public sealed record JobEventRow(long Id, DateTime At, string Kind, string? FromStatus, string? ToStatus, string Cause, string? Actor, string? Message, string? Data);

public sealed record DeliveryRow(long Id, DateTime ReceivedAt, int HttpStatus, string Outcome, string? TaskId, string? Headers, string? Body);

public sealed record JobDetail(Job Job, string Email, IReadOnlyList<JobEventRow> Events, IReadOnlyList<DeliveryRow> Deliveries,
    IReadOnlyList<LedgerEntry> Credits);

public sealed record UserRow(Guid Id, string Email, int CreditBalance, DateTime CreatedAt, bool IsAdmin, DateTime? LockoutEnd);

public sealed record AdminActionRow(long Id, DateTime At, string? AdminEmail, string Action, string? Target, string Reason, string? Data);

public sealed record JobFilter(string? Status = null, string? ToolKey = null, string? UserEmail = null, DateTime? From = null, DateTime? To = null,
    string? ErrorCode = null, int Page = 0, int PageSize = 50);

/// <summary>What the admin dashboard reads. Everything is computed from the tables when asked, never cached counters.</summary>
public sealed class AdminQueries(NpgsqlDataSource dataSource, QueueView queueView, TimeProvider clock)
{
    public async Task<Overview> OverviewAsync(int costDays = 14, CancellationToken cancellationToken = default)
    {
        var slots = await queueView.GetSlotsAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var oldest = await connection.ExecuteScalarAsync<DateTime?>("SELECT min(queued_at) FROM jobs WHERE status = 'queued'");
        var states = (await connection.QueryAsync<StateCount>(
            "SELECT status, count(*)::int AS count FROM jobs GROUP BY status ORDER BY status")).ToList();
        var lastDay = (await connection.QueryAsync<ToolDay>("""
            SELECT tool_key,
                   count(*) FILTER (WHERE status = 'completed')::int AS completed,
                   count(*) FILTER (WHERE status = 'failed')::int AS failed,
                   count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - started_at))
                       FILTER (WHERE status = 'completed' AND started_at IS NOT NULL) AS median_seconds,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - started_at))
                       FILTER (WHERE status = 'completed' AND started_at IS NOT NULL) AS p95_seconds
            FROM jobs
            WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at > @since
            GROUP BY tool_key ORDER BY tool_key
            """, new { since = now.AddHours(-24) })).ToList();
        var cost = (await connection.QueryAsync<CostPoint>("""
            SELECT date_trunc('day', completed_at AT TIME ZONE 'UTC') AS day, tool_key, coalesce(sum(cost_money), 0) AS cost, count(*)::int AS jobs
            FROM jobs WHERE completed_at >= @since AND status IN ('completed', 'failed', 'cancelled')
            GROUP BY 1, 2 ORDER BY 1, 2
            """, new { since = now.Date.AddDays(-(costDays - 1)) })).ToList();
        return new Overview(slots, oldest, states, lastDay, cost);
    }

    public async Task<IReadOnlyList<AdminJobRow>> ActiveAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return Rows(await connection.QueryAsync<Job, string, AdminJobRow>("""
            SELECT j.*, u.email FROM jobs j JOIN users u ON u.id = j.user_id
            WHERE j.status IN ('queued', 'starting', 'running')
            ORDER BY CASE WHEN j.status = 'queued' THEN 1 ELSE 0 END, j.queued_at, j.queue_seq, j.starting_at
            """, (job, email) => new AdminJobRow(job, email), splitOn: "email"));
    }

    public async Task<(IReadOnlyList<AdminJobRow> Rows, int Total)> SearchJobsAsync(JobFilter filter, CancellationToken cancellationToken = default)
    {
        // Only the filters that are set become conditions: a null parameter has no type PostgreSQL could infer.
        var conditions = new List<string>();
        var parameters = new DynamicParameters();
        void Add(string name, object? value, string condition)
        {
            if (value is not null)
            {
                parameters.Add(name, value);
                conditions.Add(condition);
            }
        }

        Add("status", Blank(filter.Status), "j.status = @status");
        Add("toolKey", Blank(filter.ToolKey), "j.tool_key = @toolKey");
        Add("userEmail", Blank(filter.UserEmail)?.ToUpperInvariant(), "u.normalized_email LIKE '%' || @userEmail || '%'");
        Add("from", filter.From, "j.created_at >= @from");
        Add("to", filter.To, "j.created_at < @to");
        Add("errorCode", Blank(filter.ErrorCode), "(j.error_code = @errorCode OR j.provider_code = @errorCode)");
        var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        var pageSize = Math.Clamp(filter.PageSize, 1, 200);
        parameters.Add("limit", pageSize);
        parameters.Add("offset", Math.Max(0, filter.Page) * pageSize);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = Rows(await connection.QueryAsync<Job, string, AdminJobRow>($"""
            SELECT j.*, u.email FROM jobs j JOIN users u ON u.id = j.user_id {where}
            ORDER BY j.created_at DESC, j.id DESC LIMIT @limit OFFSET @offset
            """, (job, email) => new AdminJobRow(job, email), parameters, splitOn: "email"));
        var total = await connection.ExecuteScalarAsync<int>($"SELECT count(*)::int FROM jobs j JOIN users u ON u.id = j.user_id {where}", parameters);
        return (rows, total);
    }

    public async Task<JobDetail?> JobAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = (await connection.QueryAsync<Job, string, AdminJobRow>(
            "SELECT j.*, u.email FROM jobs j JOIN users u ON u.id = j.user_id WHERE j.id = @jobId",
            (job, email) => new AdminJobRow(job, email), new { jobId }, splitOn: "email")).SingleOrDefault();
        if (row is null)
        {
            return null;
        }

        var events = (await connection.QueryAsync<JobEventRow>(
            "SELECT id, at, kind, from_status, to_status, cause, actor, message, data::text AS data FROM job_events WHERE job_id = @jobId ORDER BY id",
            new { jobId })).ToList();
        var deliveries = (await connection.QueryAsync<DeliveryRow>(
            "SELECT id, received_at, http_status, outcome, task_id, headers::text AS headers, body FROM webhook_deliveries WHERE job_id = @jobId ORDER BY id",
            new { jobId })).ToList();
        var credits = (await connection.QueryAsync<LedgerEntry>(
            "SELECT id, job_id, kind, amount, balance_after, reason, created_at FROM credit_ledger WHERE job_id = @jobId ORDER BY id",
            new { jobId })).ToList();
        return new JobDetail(row.Job, row.Email, events, deliveries, credits);
    }

    public async Task<IReadOnlyList<FailureGroup>> FailuresAsync(TimeSpan window, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<FailureGroup>("""
            SELECT coalesce(provider_code, error_code, '?') AS error_code, coalesce(provider_message, error_message) AS message,
                   count(*)::int AS count, max(completed_at) AS last
            FROM jobs WHERE status = 'failed' AND completed_at > @since
            GROUP BY 1, 2 ORDER BY count(*) DESC, max(completed_at) DESC LIMIT 200
            """, new { since = clock.GetUtcNow().UtcDateTime - window })).ToList();
    }

    public async Task<IReadOnlyList<UserRow>> UsersAsync(string? search, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<UserRow>("""
            SELECT u.id, u.email, u.credit_balance, u.created_at,
                   EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id AND r.normalized_name = 'ADMIN') AS is_admin,
                   u.lockout_end
            FROM users u WHERE @search IS NULL OR u.normalized_email LIKE '%' || upper(@search) || '%'
            ORDER BY u.email LIMIT @limit
            """, new { search = Blank(search), limit = Math.Clamp(limit, 1, 500) })).ToList();
    }

    public async Task<UserRow?> UserAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserRow>("""
            SELECT u.id, u.email, u.credit_balance, u.created_at,
                   EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id AND r.normalized_name = 'ADMIN') AS is_admin,
                   u.lockout_end
            FROM users u WHERE u.id = @userId
            """, new { userId });
    }

    public async Task<IReadOnlyList<AdminActionRow>> ActionsAsync(int limit = 200, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<AdminActionRow>("""
            SELECT a.id, a.at, u.email AS admin_email, a.action, a.target, a.reason, a.data::text AS data
            FROM admin_actions a LEFT JOIN users u ON u.id = a.admin_id ORDER BY a.id DESC LIMIT @limit
            """, new { limit = Math.Clamp(limit, 1, 1000) })).ToList();
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static IReadOnlyList<AdminJobRow> Rows(IEnumerable<AdminJobRow> rows) => rows.ToList();
}
