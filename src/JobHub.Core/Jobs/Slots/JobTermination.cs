using JobHub.Core.Credits;
using JobHub.Core.Jobs.Background;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Core.Tools;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs.Slots;

/// <summary>Why a job failed or was cancelled: JobHub's code, and RunningHub's code and message verbatim (R5).</summary>
public sealed record JobFailure(
    string ErrorCode,
    string ErrorMessage,
    string? ProviderCode = null,
    string? ProviderMessage = null,
    string? FailedReason = null,
    TaskUsage? Usage = null);

public enum TerminationOutcome
{
    /// <summary>The job moved to the terminal state now.</summary>
    Changed,

    /// <summary>The job was not in a state this change accepts; nothing changed, the attempt is in the event log.</summary>
    Ignored,

    NotFound,
}

/// <param name="Status">The job's status after the call (null when not found).</param>
/// <param name="TaskId">The job's RunningHub task, if it has one.</param>
/// <param name="AccountKey">The RunningHub account the job started on, if it started.</param>
/// <param name="Promoted">The queued jobs the released slot went to, already handed to the launcher.</param>
/// <param name="Note">The webhook delivery's outcome (<see cref="WebhookDelivery"/>), when the termination records one.</param>
public sealed record TerminationResult(TerminationOutcome Outcome, string? Status, string? TaskId, string? AccountKey, IReadOnlyList<Guid> Promoted,
    bool Refunded, string? Note = null)
{
    /// <summary>The job's tool (null when not found).</summary>
    public string? ToolKey { get; init; }

    /// <summary>When RunningHub's task started, if it did.</summary>
    public DateTime? StartedAt { get; init; }
}

/// <summary>
/// The webhook delivery a verdict came in, recorded by the termination's own statement with the outcome it decided. The
/// change then applies only when the job's RunningHub task is <see cref="TaskId"/>.
/// </summary>
/// <param name="Headers">The request's headers as a JSON object.</param>
public sealed record WebhookDelivery(string TaskId, string Headers, string Body);

/// <summary>
/// The one way a job reaches a terminal state: one statement (<see cref="Statement"/>) under the shared slot lock, its
/// NOTIFY after the commit (<see cref="JobChangeFeed"/>); then, when the job held a slot someone waits for, the next
/// queued jobs are promoted under the slot lock and launched (R12).
/// </summary>
public sealed class JobTermination(IDbContextFactory<JobHubDbContext> contexts, ToolCatalog catalog, JobChangeFeed changes,
    TerminationBatcher batcher, Lazy<JobLauncher> launcher, Telemetry.EngineMetrics metrics, IOptions<JobHubOptions> options, TimeProvider clock)
{
    /// <summary>
    /// The termination. Raw SQL because one statement must decide on the row it locked and return what it was, which EF
    /// cannot say. Optional parts are parameters: <c>@owner</c>, <c>@task</c> and <c>@body</c> may be null.
    /// </summary>
    internal static readonly SqlStatement Statement = new("""
        -- Lock the job's row (none: no such job, or not this owner's); a change committed meanwhile is waited for and seen.
        WITH old AS (
            SELECT id, user_id, status, task_id, account_key, started_at, tool_key, created_at FROM jobs
            WHERE id = @job AND (@owner::uuid IS NULL OR user_id = @owner)
            FOR UPDATE),
        -- The job when this change applies to it: in a state the change accepts, and running the verdict's task if one is named.
        target AS (
            SELECT * FROM old WHERE status = ANY(@allowed_from) AND (@task::text IS NULL OR task_id = @task)),
        -- The change: what a completion or an end keeps, the cost (R10: RunningHub's figure, else run time × the tool's rate).
        changed AS (
            UPDATE jobs SET status = @to,
                outputs = CASE WHEN @to = 'completed' THEN @outputs::jsonb ELSE jobs.outputs END,
                usage = CASE WHEN @to = 'completed' THEN @usage::jsonb ELSE coalesce(@usage::jsonb, jobs.usage) END,
                error_code = CASE WHEN @to = 'completed' THEN jobs.error_code ELSE @error_code END,
                error_message = CASE WHEN @to = 'completed' THEN jobs.error_message ELSE @error_message END,
                provider_code = CASE WHEN @to = 'completed' THEN jobs.provider_code ELSE @provider_code END,
                provider_message = CASE WHEN @to = 'completed' THEN jobs.provider_message ELSE @provider_message END,
                failed_reason = CASE WHEN @to = 'completed' THEN jobs.failed_reason ELSE @failed_reason::jsonb END,
                cost_money = coalesce(@money::numeric, CASE WHEN target.started_at IS NULL THEN 0 ELSE
                    round(greatest(0, extract(epoch FROM @now::timestamptz - target.started_at))
                          * coalesce((@rates::jsonb ->> target.tool_key)::numeric, 0), 4) END),
                cost_estimated = @money::numeric IS NULL, completed_at = @now, updated_at = @now
            FROM target WHERE jobs.id = target.id
            RETURNING target.user_id, target.status AS left_status),
        -- Its event; or, when the job is in a state this change does not accept, the attempt recorded as ignored.
        event AS (
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
            SELECT @job, @now, 'transition', left_status, @to, @cause, @actor, @message, @data::jsonb
            FROM changed
            UNION ALL
            SELECT @job, @now, 'ignored', status, @to, @cause, NULL,
                   replace(replace(@refused, '{0}', @to::text), '{1}', status), NULL
            FROM old WHERE status <> ALL(@allowed_from) AND (@task::text IS NULL OR task_id = @task)),
        -- The refund (R6) of a job failed or cancelled now: lock the balance, append the refund (the ledger's unique
        -- (job, kind) key refuses a second one), update the balance.
        balance AS (
            SELECT id, credit_balance FROM users WHERE id = (SELECT user_id FROM changed) AND @to <> 'completed' FOR UPDATE),
        debit AS (SELECT -amount AS amount FROM credit_ledger WHERE job_id = @job AND kind = 'debit'),
        refund AS (
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
            SELECT balance.id, @job, 'refund', debit.amount, balance.credit_balance + debit.amount, 'job ' || @to, @now FROM balance, debit
            ON CONFLICT (job_id, kind) WHERE job_id IS NOT NULL DO NOTHING
            RETURNING user_id, balance_after),
        refunded AS (
            UPDATE users SET credit_balance = refund.balance_after FROM refund WHERE users.id = refund.user_id RETURNING users.id),
        -- A webhook's verdict (only with a delivery, @body): what the delivery did, as the endpoint answers it.
        verdict AS (
            SELECT CASE WHEN old.id IS NULL THEN 'unknown_job'
                        WHEN old.task_id IS NULL THEN 'not_started'
                        WHEN old.task_id <> @task THEN 'task_mismatch'
                        WHEN changed.left_status IS NOT NULL THEN 'finished'
                        ELSE 'duplicate' END AS outcome
            FROM (SELECT 1) AS one LEFT JOIN old ON true LEFT JOIN changed ON true),
        -- Its record, in the same commit as the verdict (a delivery for no job is only counted, WebhookNoise).
        delivery AS (
            INSERT INTO webhook_deliveries (job_id, received_at, http_status, outcome, task_id, headers, body)
            SELECT @job, @now, CASE verdict.outcome WHEN 'not_started' THEN 409 WHEN 'task_mismatch' THEN 400 ELSE 200 END,
                   verdict.outcome, @task, @headers::jsonb, @body
            FROM verdict WHERE @body::text IS NOT NULL AND verdict.outcome <> 'unknown_job')
        -- The job as locked (nulls when there is none), the status it left when changed now, the refund, the delivery's outcome,
        -- and what the job's metrics read (its tool and times).
        SELECT old.user_id, old.status, old.task_id, old.account_key, changed.left_status, EXISTS (SELECT 1 FROM refunded) AS refunded,
               CASE WHEN @body::text IS NOT NULL THEN (SELECT outcome FROM verdict) END AS outcome,
               old.tool_key, old.created_at, old.started_at
        FROM (SELECT 1) AS one LEFT JOIN old ON true LEFT JOIN changed ON true
        """);

    /// <summary>Each tool's estimated cost per second of run time (R10), as the statement reads it.</summary>
    private readonly string rates = JobJson.Serialize(catalog.All.ToDictionary(t => t.Key, t => t.CostPerSecond));

    /// <param name="message">Said on the completion's event (the result files RunningHub named beyond those kept).</param>
    public Task<TerminationResult> CompleteAsync(Guid jobId, IReadOnlyList<JobOutput> outputs, TaskUsage? usage, string cause,
        string? actor = null, WebhookDelivery? delivery = null, CancellationToken cancellationToken = default, string? message = null) =>
        TerminateAsync(new Change(jobId, JobStatus.Completed, JobTransitions.CompleteFrom, cause, actor, null, delivery, message, null)
        {
            Outputs = JobJson.Serialize(outputs),
            Usage = usage,
        }, cancellationToken);

    public Task<TerminationResult> FailAsync(Guid jobId, JobFailure failure, string cause, string[]? allowedFrom = null,
        string? actor = null, WebhookDelivery? delivery = null, CancellationToken cancellationToken = default) =>
        EndAsync(jobId, JobStatus.Failed, allowedFrom ?? JobTransitions.FailFrom, failure, cause, actor, null, delivery, cancellationToken);

    public Task<TerminationResult> CancelAsync(Guid jobId, JobFailure reason, string cause, string[]? allowedFrom = null, Guid? ownerId = null,
        string? actor = null, CancellationToken cancellationToken = default) =>
        EndAsync(jobId, JobStatus.Cancelled, allowedFrom ?? JobTransitions.CancelFrom, reason, cause, actor, ownerId, null, cancellationToken);

    private Task<TerminationResult> EndAsync(Guid jobId, string to, string[] allowedFrom, JobFailure failure, string cause, string? actor,
        Guid? ownerId, WebhookDelivery? delivery, CancellationToken cancellationToken) =>
        TerminateAsync(new Change(jobId, to, allowedFrom, cause, actor, ownerId, delivery, failure.ErrorMessage,
            JobJson.Serialize(new { failure.ErrorCode, failure.ProviderCode }))
        {
            Failure = failure,
            Usage = failure.Usage,
        }, cancellationToken);

    /// <param name="Data">The event's data, as JSON.</param>
    private sealed record Change(Guid JobId, string To, string[] AllowedFrom, string Cause, string? Actor, Guid? OwnerId, WebhookDelivery? Delivery,
        string? Message, string? Data)
    {
        /// <summary>A completion's outputs, as JSON.</summary>
        public string? Outputs { get; init; }

        public TaskUsage? Usage { get; init; }

        /// <summary>Why a job failed or was cancelled.</summary>
        public JobFailure? Failure { get; init; }
    }

    /// <summary>What the statement returns: the job as it was locked (nulls when not found), and what changed.</summary>
    private sealed record Terminated(Guid? UserId, string? Status, string? TaskId, string? AccountKey, string? LeftStatus, bool Refunded, string? Note,
        string? ToolKey, DateTime? CreatedAt, DateTime? StartedAt)
    {
        /// <summary>The statement's row, its columns in <see cref="Statement"/>'s order.</summary>
        public static Terminated Read(Npgsql.NpgsqlDataReader row) => new(
            row.IsDBNull(0) ? null : row.GetGuid(0), row.IsDBNull(1) ? null : row.GetString(1), row.IsDBNull(2) ? null : row.GetString(2),
            row.IsDBNull(3) ? null : row.GetString(3), row.IsDBNull(4) ? null : row.GetString(4), row.GetBoolean(5),
            row.IsDBNull(6) ? null : row.GetString(6), row.IsDBNull(7) ? null : row.GetString(7), row.IsDBNull(8) ? null : row.GetDateTime(8),
            row.IsDBNull(9) ? null : row.GetDateTime(9));
    }

    private async Task<TerminationResult> TerminateAsync(Change change, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var (row, _, slotWaiting) = await batcher.RunAsync(change.JobId, Bind(change, now), Terminated.Read);

        if (row.Status is null)
        {
            return new TerminationResult(TerminationOutcome.NotFound, null, null, null, [], false, row.Note);
        }

        if (row.LeftStatus is null)
        {
            return new TerminationResult(TerminationOutcome.Ignored, row.Status, row.TaskId, row.AccountKey, [], false, row.Note)
                { ToolKey = row.ToolKey, StartedAt = row.StartedAt };
        }

        metrics.Ended(row.ToolKey!, change.To, change.Cause, change.Failure?.ErrorCode, change.Failure?.ProviderCode, row.CreatedAt!.Value, row.StartedAt,
            now, row.Refunded);

        changes.Publish(new JobChanged(change.JobId, row.UserId!.Value, change.To, row.LeftStatus));

        // R12: the batch read the queue holding the slot lock in shared mode, so a job queued before it is seen here and one
        // queued after it saw the slot free. Should the process die in between, the promote sweep finishes the step.
        IReadOnlyList<Guid> promoted = JobStatus.InSlot.Contains(row.LeftStatus) && slotWaiting
            ? await PromoteAsync(change.Cause, cancellationToken)
            : [];
        launcher.Value.Dispatch(promoted);
        return new TerminationResult(TerminationOutcome.Changed, change.To, row.TaskId, row.AccountKey, promoted, row.Refunded, row.Note)
            { ToolKey = row.ToolKey, StartedAt = row.StartedAt };
    }

    private SqlStatement.Bound Bind(Change change, DateTime now) => Statement
        .With("job", change.JobId)
        .With("owner", change.OwnerId)
        .With("allowed_from", change.AllowedFrom)
        .With("task", change.Delivery?.TaskId)
        .With("to", change.To)
        .With("outputs", change.Outputs)
        .With("usage", change.Usage is null ? null : JobJson.Serialize(change.Usage))
        .With("error_code", change.Failure?.ErrorCode)
        .With("error_message", change.Failure?.ErrorMessage)
        .With("provider_code", change.Failure?.ProviderCode)
        .With("provider_message", change.Failure?.ProviderMessage)
        .With("failed_reason", change.Failure?.FailedReason)
        .With("money", change.Usage?.ConsumeMoney)
        .With("now", now)
        .With("rates", rates)
        .With("cause", change.Cause)
        .With("actor", change.Actor)
        .With("message", JobEvents.Truncate(change.Message))
        .With("refused", JobEventMessages.Refused)
        .With("data", change.Data)
        .With("headers", change.Delivery?.Headers)
        .With("body", change.Delivery?.Body);

    private async Task<IReadOnlyList<Guid>> PromoteAsync(string cause, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var promoted = await SlotAdmission.LockAndPromoteAsync(db, options.Value.MaxConcurrent, clock.GetUtcNow().UtcDateTime, cause, metrics);
        await transaction.CommitAsync(cancellationToken);
        return promoted;
    }
}
