using Dapper;
using Npgsql;

namespace JobHub.Core.Jobs;

/// <summary>
/// Every status change is one conditional UPDATE that names the states it accepts
/// (<c>WHERE id = @id AND status = ANY(@from)</c>) and returns the changed row, or null when the job was
/// not in one of them: a late or repeated event then changes nothing.
/// </summary>
internal static class JobTransitions
{
    public static readonly string[] PromoteFrom = [JobStatus.Queued];
    public static readonly string[] RunFrom = [JobStatus.Starting];
    public static readonly string[] RequeueFrom = [JobStatus.Starting];
    public static readonly string[] CompleteFrom = [JobStatus.Running];
    public static readonly string[] FailFrom = [JobStatus.Starting, JobStatus.Running];
    public static readonly string[] CancelFrom = [JobStatus.Queued, JobStatus.Starting, JobStatus.Running];

    public static Task<Job?> PromoteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string account, DateTime now) =>
        connection.QuerySingleOrDefaultAsync<Job?>("""
            UPDATE jobs SET status = 'starting', starting_at = @now, account_key = @account, next_attempt_at = NULL, updated_at = @now
            WHERE id = @id AND status = ANY(@from)
            RETURNING *
            """, new { id, account, now, from = PromoteFrom }, transaction);

    public static Task<Job?> MarkRunningAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string taskId, DateTime now) =>
        connection.QuerySingleOrDefaultAsync<Job?>("""
            UPDATE jobs SET status = 'running', task_id = @taskId, started_at = @now, updated_at = @now
            WHERE id = @id AND status = ANY(@from) AND task_id IS NULL
            RETURNING *
            """, new { id, taskId, now, from = RunFrom }, transaction);

    /// <summary>Capacity error: back to the head of the queue (its original place), waiting until <paramref name="notBefore"/>.</summary>
    public static Task<Job?> RequeueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, DateTime notBefore, DateTime now) =>
        connection.QuerySingleOrDefaultAsync<Job?>("""
            UPDATE jobs SET status = 'queued', queued_at = coalesce(queued_at, created_at), next_attempt_at = @notBefore,
                            launch_attempts = launch_attempts + 1, account_key = NULL, starting_at = NULL, updated_at = @now
            WHERE id = @id AND status = ANY(@from) AND task_id IS NULL
            RETURNING *
            """, new { id, notBefore, now, from = RequeueFrom }, transaction);

    public static Task<Job?> CompleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string outputs, string? usage,
        decimal costMoney, bool costEstimated, DateTime now) =>
        connection.QuerySingleOrDefaultAsync<Job?>("""
            UPDATE jobs SET status = 'completed', outputs = @outputs::jsonb, usage = @usage::jsonb, cost_money = @costMoney,
                            cost_estimated = @costEstimated, completed_at = @now, updated_at = @now
            WHERE id = @id AND status = ANY(@from)
            RETURNING *
            """, new { id, outputs, usage, costMoney, costEstimated, now, from = CompleteFrom }, transaction);

    public static Task<Job?> EndAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string to, string[] from,
        JobFailure failure, decimal costMoney, bool costEstimated, DateTime now) =>
        connection.QuerySingleOrDefaultAsync<Job?>("""
            UPDATE jobs SET status = @to, error_code = @ErrorCode, error_message = @ErrorMessage, provider_code = @ProviderCode,
                            provider_message = @ProviderMessage, failed_reason = @FailedReason::jsonb, usage = coalesce(@usage::jsonb, usage),
                            cost_money = @costMoney, cost_estimated = @costEstimated, completed_at = @now, updated_at = @now
            WHERE id = @id AND status = ANY(@from)
            RETURNING *
            """, new
        {
            id,
            to,
            from,
            failure.ErrorCode,
            failure.ErrorMessage,
            failure.ProviderCode,
            failure.ProviderMessage,
            failure.FailedReason,
            usage = failure.Usage is null ? null : JobJson.Serialize(failure.Usage),
            costMoney,
            costEstimated,
            now,
        }, transaction);
}
