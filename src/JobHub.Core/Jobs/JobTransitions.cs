using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs;

/// <summary>
/// Every status change is one conditional UPDATE that names the states it accepts
/// (<c>WHERE id = … AND status = ANY(…)</c>) and returns the changed row, or null when the job was not in one of them:
/// a late or repeated event then changes nothing. Raw SQL (EF's <c>FromSql</c>) because the statement itself must
/// decide: a read followed by a tracked update would let two paths both see the old state.
/// </summary>
internal static class JobTransitions
{
    public static readonly string[] PromoteFrom = [JobStatus.Queued];
    public static readonly string[] RunFrom = [JobStatus.Starting];
    public static readonly string[] RequeueFrom = [JobStatus.Starting];
    public static readonly string[] CompleteFrom = [JobStatus.Running];
    public static readonly string[] FailFrom = [JobStatus.Starting, JobStatus.Running];
    public static readonly string[] CancelFrom = [JobStatus.Queued, JobStatus.Starting, JobStatus.Running];

    public static Task<Job?> PromoteAsync(JobHubDbContext db, Guid id, string account, DateTime now) =>
        Changed(db, $"""
            UPDATE jobs SET status = 'starting', starting_at = {now}, account_key = {account}, next_attempt_at = NULL, updated_at = {now}
            WHERE id = {id} AND status = ANY({PromoteFrom})
            RETURNING *
            """);

    public static Task<Job?> MarkRunningAsync(JobHubDbContext db, Guid id, string taskId, DateTime now) =>
        Changed(db, $"""
            UPDATE jobs SET status = 'running', task_id = {taskId}, started_at = {now}, updated_at = {now}
            WHERE id = {id} AND status = ANY({RunFrom}) AND task_id IS NULL
            RETURNING *
            """);

    /// <summary>Capacity error: back to the head of the queue (its original place), waiting until <paramref name="notBefore"/>.</summary>
    public static Task<Job?> RequeueAsync(JobHubDbContext db, Guid id, DateTime notBefore, DateTime now) =>
        Changed(db, $"""
            UPDATE jobs SET status = 'queued', queued_at = coalesce(queued_at, created_at), next_attempt_at = {notBefore},
                            launch_attempts = launch_attempts + 1, account_key = NULL, starting_at = NULL, updated_at = {now}
            WHERE id = {id} AND status = ANY({RequeueFrom}) AND task_id IS NULL
            RETURNING *
            """);

    public static Task<Job?> CompleteAsync(JobHubDbContext db, Guid id, string outputs, string? usage, decimal costMoney, bool costEstimated,
        DateTime now) =>
        Changed(db, $"""
            UPDATE jobs SET status = 'completed', outputs = {outputs}::jsonb, usage = {usage}::jsonb, cost_money = {costMoney},
                            cost_estimated = {costEstimated}, completed_at = {now}, updated_at = {now}
            WHERE id = {id} AND status = ANY({CompleteFrom})
            RETURNING *
            """);

    public static Task<Job?> EndAsync(JobHubDbContext db, Guid id, string to, string[] from, JobFailure failure, decimal costMoney,
        bool costEstimated, DateTime now)
    {
        var usage = failure.Usage is null ? null : JobJson.Serialize(failure.Usage);
        return Changed(db, $"""
            UPDATE jobs SET status = {to}, error_code = {failure.ErrorCode}, error_message = {failure.ErrorMessage},
                            provider_code = {failure.ProviderCode}, provider_message = {failure.ProviderMessage},
                            failed_reason = {failure.FailedReason}::jsonb, usage = coalesce({usage}::jsonb, usage),
                            cost_money = {costMoney}, cost_estimated = {costEstimated}, completed_at = {now}, updated_at = {now}
            WHERE id = {id} AND status = ANY({from})
            RETURNING *
            """);
    }

    private static Task<Job?> Changed(JobHubDbContext db, FormattableString update) =>
        db.Set<Job>().FromSql(update).AsNoTracking().FirstRowAsync();
}
