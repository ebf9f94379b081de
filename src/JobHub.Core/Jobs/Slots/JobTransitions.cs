using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs.Slots;

/// <summary>
/// Every status change is one conditional UPDATE that names the state it leaves, in one statement with its event and its
/// NOTIFY, whose count says whether it changed the job: a late or repeated event changes nothing. Raw SQL because the
/// statement must decide: a read and then a tracked update would let two paths both see the old state.
/// </summary>
internal static class JobTransitions
{
    public static readonly string[] CompleteFrom = [JobStatus.Running];
    public static readonly string[] FailFrom = [JobStatus.Starting, JobStatus.Running];
    public static readonly string[] CancelFrom = [JobStatus.Queued, JobStatus.Starting, JobStatus.Running];

    /// <summary>A queued job into a free slot, on the account chosen for it (R12), run holding the slot lock.</summary>
    internal static readonly SqlStatement Promotion = new("""
        -- The job starts on the account, only if it is still queued; every instance is told once the promotion commits.
        WITH changed AS (
            UPDATE jobs SET status = 'starting', starting_at = @now, account_key = @account, next_attempt_at = NULL, updated_at = @now
            WHERE id = @job AND status = 'queued'
            RETURNING id, pg_notify(@channel, @notice))
        -- Its event.
        INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
        SELECT changed.id, @now, 'transition', 'queued', 'starting', @cause, NULL, @message, @data::jsonb
        FROM changed
        """);

    /// <summary>Runs <see cref="Promotion"/> in the caller's transaction; false when the job was no longer queued.</summary>
    public static async Task<bool> PromoteAsync(JobHubDbContext db, Guid id, Guid userId, string account, DateTime now, string cause) =>
        await Promotion
            .With("now", now)
            .With("account", account)
            .With("job", id)
            .With("channel", JobEvents.Channel)
            .With("notice", JobJson.Serialize(new JobChanged(id, userId, JobStatus.Starting, JobStatus.Queued)))
            .With("cause", cause)
            .With("message", JobEventMessages.Promoted)
            .With("data", JobJson.Serialize(new { account }))
            .ExecuteAsync(db) == 1;

    public static Task<bool> MarkRunningAsync(JobHubDbContext db, Job job, string taskId, DateTime now) =>
        ChangeAsync(db, JobEvents.WithTransition($"""
            UPDATE jobs SET status = 'running', task_id = {taskId}, started_at = {now}, updated_at = {now}
            WHERE id = {job.Id} AND status = 'starting' AND task_id IS NULL
            """, job.Id, job.UserId, JobStatus.Starting, JobStatus.Running, now, JobCause.System,
            message: JobEventMessages.Format(JobEventMessages.Running, taskId), data: new { taskId, job.AccountKey }));

    /// <summary>Capacity error: back to the head of the queue (its original place), waiting until <paramref name="notBefore"/>.</summary>
    public static Task<bool> RequeueAsync(JobHubDbContext db, Job job, DateTime notBefore, DateTime now, string message, object data) =>
        ChangeAsync(db, JobEvents.WithTransition($"""
            UPDATE jobs SET status = 'queued', queued_at = coalesce(queued_at, created_at), next_attempt_at = {notBefore},
                            launch_attempts = launch_attempts + 1, account_key = NULL, starting_at = NULL, updated_at = {now}
            WHERE id = {job.Id} AND status = 'starting' AND task_id IS NULL
            """, job.Id, job.UserId, JobStatus.Starting, JobStatus.Queued, now, JobCause.System, message: message, data: data));

    private static async Task<bool> ChangeAsync(JobHubDbContext db, FormattableString statement) =>
        await db.Database.ExecuteSqlAsync(statement) == 1;
}
