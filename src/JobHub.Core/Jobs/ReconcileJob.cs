using JobHub.Core.Jobs.Slots;
using JobHub.Core.Limits;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Core.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs;

public enum ReconcileOutcome
{
    /// <summary>No such job (or not the caller's).</summary>
    NotFound,

    /// <summary>The job is not running (queued, starting or already terminal): nothing to ask RunningHub.</summary>
    NotRunning,

    /// <summary>RunningHub's verdict ended the job now.</summary>
    Finished,

    /// <summary>RunningHub's verdict came, but the job had already ended by another path; nothing changed.</summary>
    AlreadyFinished,

    /// <summary>The task is still queued or running at RunningHub; <c>last_checked_at</c> recorded.</summary>
    StillRunning,

    /// <summary>RunningHub could not be asked or gave no usable answer; the job is unchanged and will be asked again.</summary>
    Unanswered,

    /// <summary>A user's check of a job asked of RunningHub less than the cooldown ago, by anyone: not asked again.</summary>
    RecentlyChecked,
}

public sealed record ReconcileResult(ReconcileOutcome Outcome, Job? Job, string? Detail = null);

/// <summary>
/// R7: asks RunningHub what became of a running job's task, with the account the job started on, and applies
/// the answer through <see cref="FinishJob"/>. Used by the page ("Check status now" and its poll), the admin
/// dashboard and the reconcile sweep; safe to call any number of times, from any instance, at once.
/// </summary>
public sealed class ReconcileJob(
    IDbContextFactory<JobHubDbContext> contexts,
    IRunningHubClient client,
    RunningHubAccounts accounts,
    FinishJob finish,
    EngineMetrics metrics,
    IOptions<RateLimitOptions> limits,
    TimeProvider clock,
    ILogger<ReconcileJob> logger)
{
    /// <param name="ownerId">
    /// When set, only this user's job is reconciled (another's is <see cref="ReconcileOutcome.NotFound"/>), and not when it was
    /// asked of RunningHub within <see cref="RateLimitOptions.CheckCooldown"/>: many open pages ask RunningHub once.
    /// </param>
    public async Task<ReconcileResult> HandleAsync(Guid jobId, string cause, Guid? ownerId = null, string? actor = null,
        CancellationToken cancellationToken = default)
    {
        using var activity = EngineTracing.StartJob("job.reconcile", jobId);
        activity?.SetTag("jobhub.cause", cause);
        var result = await ReconcileAsync(jobId, cause, ownerId, actor, cancellationToken);
        activity.Outcome(result.Outcome.ToString());
        return result;
    }

    private async Task<ReconcileResult> ReconcileAsync(Guid jobId, string cause, Guid? ownerId, string? actor, CancellationToken cancellationToken)
    {
        var job = await LoadAsync(jobId, cancellationToken);
        if (job is null || (ownerId is { } owner && job.UserId != owner))
        {
            return new ReconcileResult(ReconcileOutcome.NotFound, null);
        }

        if (job.Status != JobStatus.Running || job.TaskId is null || job.AccountKey is null)
        {
            return new ReconcileResult(ReconcileOutcome.NotRunning, job);
        }

        if (ownerId is not null && !await ClaimCheckAsync(job.Id, cancellationToken))
        {
            return new ReconcileResult(ReconcileOutcome.RecentlyChecked, job);
        }

        var answer = await client.QueryAsync(accounts.Get(job.AccountKey), job.TaskId, cancellationToken);
        await RecordCheckAsync(job, answer, cause, actor, cancellationToken);

        var applied = finish.ApplyAsync(job.Id, answer, cause, cancellationToken);
        if (applied is null)
        {
            var unanswered = answer.Outcome != CallOutcome.Success || answer.Status == RemoteTaskStatus.Unknown;
            if (unanswered)
            {
                logger.LogWarning("Reconciling job {JobId}: RunningHub gave no verdict ({Outcome}, status {Status}, code {Code})",
                    job.Id, answer.Outcome, answer.RawStatus, answer.Code);
            }

            return new ReconcileResult(unanswered ? ReconcileOutcome.Unanswered : ReconcileOutcome.StillRunning,
                await LoadAsync(jobId, cancellationToken), answer.Message ?? answer.RawStatus);
        }

        var result = await applied;
        if (result.Outcome == TerminationOutcome.Changed)
        {
            metrics.Reconciled(job.ToolKey, result.Status!, cause);
            metrics.VerdictKnown(JobCause.Reconcile, job.ToolKey, job.StartedAt, answer.Usage?.TaskCostTime, clock.GetUtcNow().UtcDateTime);
        }

        return new ReconcileResult(result.Outcome == TerminationOutcome.Changed ? ReconcileOutcome.Finished : ReconcileOutcome.AlreadyFinished,
            await LoadAsync(jobId, cancellationToken));
    }

    /// <summary>
    /// Records the check as under way unless one was made within the cooldown: one conditional update, so that of the
    /// checks arriving together only one asks RunningHub.
    /// </summary>
    private async Task<bool> ClaimCheckAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var cooldown = limits.Value.CheckCooldown;
        if (cooldown <= TimeSpan.Zero)
        {
            return true;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var since = now - cooldown;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<Job>().Where(j => j.Id == jobId && (j.LastCheckedAt == null || j.LastCheckedAt <= since))
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.LastCheckedAt, now), cancellationToken) == 1;
    }

    private async Task<Job?> LoadAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await JobQueries.ById(db, jobId);
    }

    /// <summary>
    /// Keeps when the job was last checked and what RunningHub answered (the admin dashboard shows it): an answer like the
    /// last one only counts a repeat on its event.
    /// </summary>
    private async Task RecordCheckAsync(Job job, TaskQueryResult answer, string cause, string? actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Set<Job>().Where(j => j.Id == job.Id).ExecuteUpdateAsync(set => set.SetProperty(j => j.LastCheckedAt, now), cancellationToken);
        await JobEvents.NoteOrRepeatAsync(db, job, "checked", now, cause,
            JobEventMessages.Format(JobEventMessages.Checked, answer.RawStatus ?? answer.Outcome.ToString()),
            new
            {
                outcome = answer.Outcome.ToString(),
                status = answer.RawStatus,
                answer.Code,
                answer.Message,
                answer.ErrorCode,
                answer.ErrorMessage,
                outputs = answer.Outputs.Count,
                answer.Usage,
                failedReason = answer.FailedReason,
            }, actor: actor);
        await transaction.CommitAsync(cancellationToken);
    }
}
