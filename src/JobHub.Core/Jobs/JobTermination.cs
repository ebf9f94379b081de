using JobHub.Core.Credits;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Core.Tools;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs;

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
/// <param name="Promoted">The queued jobs the released slot went to (now <c>starting</c>), for the caller to launch.</param>
/// <param name="Note">The value of <see cref="TerminationStep.Note"/>, when the caller added a step.</param>
public sealed record TerminationResult(TerminationOutcome Outcome, string? Status, string? TaskId, string? AccountKey, IReadOnlyList<Guid> Promoted,
    bool Refunded, string? Note = null)
{
    /// <summary>The job's tool (null when not found).</summary>
    public string? ToolKey { get; init; }

    /// <summary>When RunningHub's task started, if it did.</summary>
    public DateTime? StartedAt { get; init; }
}

/// <summary>
/// What a caller adds to a termination's statement. The change applies only when the job's RunningHub task is
/// <see cref="TaskId"/> (otherwise nothing changes and nothing is recorded as ignored); <see cref="Steps"/> are further
/// <c>WITH</c> steps (joined with a comma, none after the last) that may read <c>old</c> (the job as locked: no row when there is no such job)
/// and <c>changed</c> (a row when the job was changed now); <see cref="Note"/> is a text value the statement returns.
/// </summary>
public sealed record TerminationStep(string TaskId, FormattableString Steps, FormattableString Note);

/// <summary>
/// The one way a job reaches a terminal state: one statement, its own transaction, that locks the job's row, changes it
/// when it is in a state the change accepts (with its event; the NOTIFY follows the commit, <see cref="JobChangeFeed"/>)
/// or records the attempt as ignored, refunds the debit (R6, exactly once: the change happens once, and the ledger's unique
/// key backs it up) and sets the cost (R10); then, when the job held a slot someone waits for, the next queued jobs are
/// promoted under the slot lock (R12).
/// </summary>
public sealed class JobTermination(IDbContextFactory<JobHubDbContext> contexts, ToolCatalog catalog, JobChangeFeed changes,
    TerminationBatcher batcher, Telemetry.EngineMetrics metrics, IOptions<JobHubOptions> options, TimeProvider clock)
{
    private static readonly FormattableString Nothing = $"";

    /// <summary>Each tool's estimated cost per second of run time (R10), as the statement reads it.</summary>
    private readonly string rates = JobJson.Serialize(catalog.All.ToDictionary(t => t.Key, t => t.CostPerSecond));

    /// <param name="message">Said on the completion's event (the result files RunningHub named beyond those kept).</param>
    public Task<TerminationResult> CompleteAsync(Guid jobId, IReadOnlyList<JobOutput> outputs, TaskUsage? usage, string cause,
        string? actor = null, TerminationStep? step = null, CancellationToken cancellationToken = default, string? message = null)
    {
        var usageJson = usage is null ? null : JobJson.Serialize(usage);
        return TerminateAsync(new Change(jobId, JobStatus.Completed, JobTransitions.CompleteFrom, cause, actor, null, usage?.ConsumeMoney,
            $"outputs = {JobJson.Serialize(outputs)}::jsonb, usage = {usageJson}::jsonb", message, null, step), cancellationToken);
    }

    public Task<TerminationResult> FailAsync(Guid jobId, JobFailure failure, string cause, string[]? allowedFrom = null,
        string? actor = null, TerminationStep? step = null, CancellationToken cancellationToken = default) =>
        EndAsync(jobId, JobStatus.Failed, allowedFrom ?? JobTransitions.FailFrom, failure, cause, actor, null, step, cancellationToken);

    public Task<TerminationResult> CancelAsync(Guid jobId, JobFailure reason, string cause, string[]? allowedFrom = null, Guid? ownerId = null,
        string? actor = null, CancellationToken cancellationToken = default) =>
        EndAsync(jobId, JobStatus.Cancelled, allowedFrom ?? JobTransitions.CancelFrom, reason, cause, actor, ownerId, null, cancellationToken);

    private Task<TerminationResult> EndAsync(Guid jobId, string to, string[] allowedFrom, JobFailure failure, string cause, string? actor,
        Guid? ownerId, TerminationStep? step, CancellationToken cancellationToken)
    {
        var usage = failure.Usage is null ? null : JobJson.Serialize(failure.Usage);
        return TerminateAsync(new Change(jobId, to, allowedFrom, cause, actor, ownerId, failure.Usage?.ConsumeMoney, $"""
            error_code = {failure.ErrorCode}, error_message = {failure.ErrorMessage}, provider_code = {failure.ProviderCode},
                            provider_message = {failure.ProviderMessage}, failed_reason = {failure.FailedReason}::jsonb,
                            usage = coalesce({usage}::jsonb, jobs.usage)
            """, failure.ErrorMessage, new { failure.ErrorCode, failure.ProviderCode }, step, failure), cancellationToken);
    }

    /// <param name="Set">The columns the change sets besides status, cost and times.</param>
    /// <param name="Money">RunningHub's own cost figure, when it gave one.</param>
    /// <param name="Failure">Why it failed or was cancelled (none for a completion).</param>
    private sealed record Change(Guid JobId, string To, string[] AllowedFrom, string Cause, string? Actor, Guid? OwnerId, decimal? Money,
        FormattableString Set, string? Message, object? Data, TerminationStep? Step, JobFailure? Failure = null);

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
        // Raw SQL, one round trip and one commit (the shared slot lock, then one statement, shared with the terminations
        // that arrive meanwhile: TerminationBatcher): the row lock, the decision, the change with its event, or the ignored
        // attempt, the refund and the caller's step. EF cannot say "change it only if it is still in this state" and return
        // what it was; the lock makes the state it left the one the event records.
        var now = clock.GetUtcNow().UtcDateTime;
        var (row, _, slotWaiting) = await batcher.RunAsync(change.JobId, Statement(change, now), Terminated.Read);

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

        // R12: the slot this job held is refilled in the same call, right after the release is committed, when its batch
        // then saw a job waiting and a slot free; when nobody waits (the common case) nothing more is sent. The batch read
        // the queue holding the slot lock in shared mode, so no admission ran between that read and the commit: a job
        // queued before it is seen here, and one queued after it saw the slot free. (Slots are never fewer than the jobs
        // in them but for a while after the limit is lowered; a slot freed then by releases of two instances' batches running
        // together is refilled by the promote sweep.) Should the process die in between, the promote sweep finishes the step.
        IReadOnlyList<Guid> promoted = JobStatus.InSlot.Contains(row.LeftStatus) && slotWaiting
            ? await PromoteAsync(change.Cause, cancellationToken)
            : [];
        return new TerminationResult(TerminationOutcome.Changed, change.To, row.TaskId, row.AccountKey, promoted, row.Refunded, row.Note)
            { ToolKey = row.ToolKey, StartedAt = row.StartedAt };
    }

    /// <summary>
    /// The termination as one statement, run after the shared slot lock (<see cref="TerminationBatcher"/>). <c>old</c> locks the job's row: a change committed meanwhile by another path is
    /// waited for and seen, so <c>target</c> (the job when this change applies to it) decides on its latest state, and the
    /// conditional UPDATE changes it at most once. Cost (R10): RunningHub's figure when given, otherwise run time × the
    /// tool's rate.
    /// </summary>
    private FormattableString Statement(Change change, DateTime now)
    {
        var owner = change.OwnerId is { } ownerId ? (FormattableString)$" AND user_id = {ownerId}" : Nothing;
        var task = change.Step is { } step ? (FormattableString)$" AND task_id = {step.TaskId}" : Nothing;
        var steps = RawSql.Concat($"""
            WITH old AS (SELECT id, user_id, status, task_id, account_key, started_at, tool_key, created_at FROM jobs WHERE id = {change.JobId}
            """, owner, $"""
             FOR UPDATE),
            target AS (SELECT * FROM old WHERE status = ANY({change.AllowedFrom})
            """, task, $"""
            ),
            changed AS (
                UPDATE jobs SET status = {change.To}, 
            """, change.Set, $"""
            ,
                                cost_money = coalesce({change.Money}::numeric, CASE WHEN target.started_at IS NULL THEN 0 ELSE
                                    round(greatest(0, extract(epoch FROM {now}::timestamptz - target.started_at))
                                          * coalesce(({rates}::jsonb ->> target.tool_key)::numeric, 0), 4) END),
                                cost_estimated = {change.Money}::numeric IS NULL, completed_at = {now}, updated_at = {now}
                FROM target WHERE jobs.id = target.id
                RETURNING target.user_id, target.status AS left_status),
            event AS (
                INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
                SELECT {change.JobId}, {now}, {JobEvents.Transition}, left_status, {change.To}, {change.Cause}, {change.Actor},
                       {JobEvents.Truncate(change.Message)}, {(change.Data is null ? null : JobJson.Serialize(change.Data))}::jsonb
                FROM changed
                UNION ALL
                SELECT {change.JobId}, {now}, {JobEvents.Ignored}, status, {change.To}, {change.Cause}, NULL,
                       replace(replace({JobEventMessages.Refused}, {"{0}"}, {change.To}::text), {"{1}"}, status), NULL
                FROM old WHERE status <> ALL({change.AllowedFrom})
            """, task, $")");
        if (change.To != JobStatus.Completed)
        {
            steps = RawSql.Concat(steps, $",\n", CreditLedger.RefundSteps(change.JobId, $"job {change.To}", now));
        }

        if (change.Step is { } added)
        {
            steps = RawSql.Concat(steps, $",\n", added.Steps);
        }

        return RawSql.Concat(steps, $"""

            SELECT old.user_id, old.status, old.task_id, old.account_key, changed.left_status,
            """, change.To != JobStatus.Completed ? (FormattableString)$" EXISTS (SELECT 1 FROM refunded)" : $" false", $"""
             AS refunded,
            """,
            change.Step?.Note ?? (FormattableString)$"NULL::text", $"""
             AS note, old.tool_key, old.created_at, old.started_at
            FROM (SELECT 1) AS one LEFT JOIN old ON true LEFT JOIN changed ON true
            """);
    }

    private async Task<IReadOnlyList<Guid>> PromoteAsync(string cause, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var promoted = await SlotAdmission.LockAndPromoteAsync(db, options.Value.MaxConcurrent, clock.GetUtcNow().UtcDateTime, cause, metrics);
        await transaction.CommitAsync(cancellationToken);
        return promoted;
    }
}
