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

/// <param name="Promoted">The queued jobs the released slot went to (now <c>starting</c>), for the caller to launch.</param>
public sealed record TerminationResult(TerminationOutcome Outcome, Job? Job, IReadOnlyList<Guid> Promoted, bool Refunded);

/// <summary>
/// The one way a job reaches a terminal state. In a single transaction: the conditional update with its event, the
/// refund (R6, exactly once: the update succeeds once, and the ledger's unique key backs it up) and the cost (R10);
/// then, when the job held a slot, the promotion of the next queued jobs under the slot lock (R12).
/// </summary>
public sealed class JobTermination(IDbContextFactory<JobHubDbContext> contexts, ToolCatalog catalog, IOptions<JobHubOptions> options, TimeProvider clock)
{
    /// <param name="known">The job as the caller just read it, if it did: the first attempt starts from it instead of reading it again.</param>
    public Task<TerminationResult> CompleteAsync(Guid jobId, IReadOnlyList<JobOutput> outputs, TaskUsage? usage, string cause,
        string? actor = null, Job? known = null, CancellationToken cancellationToken = default) =>
        TerminateAsync(jobId, JobStatus.Completed, JobTransitions.CompleteFrom, cause, actor, null, known, cancellationToken,
            (db, job, now) =>
            {
                var (cost, estimated) = Cost(job, usage, now);
                return JobTransitions.CompleteAsync(db, job, JobJson.Serialize(outputs), usage is null ? null : JobJson.Serialize(usage),
                    cost, estimated, now, cause, actor);
            });

    public Task<TerminationResult> FailAsync(Guid jobId, JobFailure failure, string cause, string[]? allowedFrom = null,
        string? actor = null, Job? known = null, CancellationToken cancellationToken = default) =>
        EndAsync(jobId, JobStatus.Failed, allowedFrom ?? JobTransitions.FailFrom, failure, cause, actor, cancellationToken, known: known);

    public Task<TerminationResult> CancelAsync(Guid jobId, JobFailure reason, string cause, string[]? allowedFrom = null, Guid? ownerId = null,
        string? actor = null, CancellationToken cancellationToken = default) =>
        EndAsync(jobId, JobStatus.Cancelled, allowedFrom ?? JobTransitions.CancelFrom, reason, cause, actor, cancellationToken, ownerId);

    private Task<TerminationResult> EndAsync(Guid jobId, string to, string[] allowedFrom, JobFailure failure, string cause, string? actor,
        CancellationToken cancellationToken, Guid? ownerId = null, Job? known = null) =>
        TerminateAsync(jobId, to, allowedFrom, cause, actor, ownerId, known, cancellationToken, (db, job, now) =>
        {
            var (cost, estimated) = Cost(job, failure.Usage, now);
            return JobTransitions.EndAsync(db, job, to, failure, cost, estimated, now, cause, actor);
        });

    /// <summary>
    /// Reads the job, then changes it with a statement conditional on the state it was read in (with its event). When
    /// another path moved the job in between, the statement changes nothing and the job is read again: the change
    /// happens once, from the state it really left, or is refused and recorded as ignored.
    /// </summary>
    private async Task<TerminationResult> TerminateAsync(Guid jobId, string to, string[] allowedFrom, string cause, string? actor, Guid? ownerId,
        Job? known, CancellationToken cancellationToken, Func<JobHubDbContext, Job, DateTime, Task<bool>> update)
    {
        Job? current, changed;
        bool refunded;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            while (true)
            {
                current = known?.Id == jobId ? known : await JobQueries.ById(db, jobId);
                known = null;
                if (current is null || (ownerId is { } owner && current.UserId != owner))
                {
                    return new TerminationResult(TerminationOutcome.NotFound, null, [], false);
                }

                if (!allowedFrom.Contains(current.Status))
                {
                    await JobEvents.IgnoredAsync(db, jobId, current.Status, to, now, cause, $"{to} refused: the job is {current.Status}");
                    await transaction.CommitAsync(cancellationToken);
                    return new TerminationResult(TerminationOutcome.Ignored, current, [], false);
                }

                if (await update(db, current, now))
                {
                    break;
                }
            }

            refunded = to != JobStatus.Completed && await CreditLedger.RefundOnceAsync(db, current.UserId, current.Id, $"job {to}", now);
            changed = await JobQueries.ById(db, jobId);
            await transaction.CommitAsync(cancellationToken);
        }

        // R12: the slot this job held is refilled in the same call, right after the release is committed. Promoting
        // after the commit keeps the slot lock out of this transaction, and when nobody waits (the common case) the
        // lock is not taken at all. No job is stranded by that: a submission that queued at the head of the queue because
        // it still saw this job running looks for a slot after its own commit; if that look came before this release
        // committed, the check below (after it) sees the queued job. (Behind older queued jobs, a new one needs no look
        // of its own: the slot goes to the head first.) Should the process die in between, the promote
        // sweep finishes the step.
        IReadOnlyList<Guid> promoted = JobStatus.InSlot.Contains(current.Status)
            ? await PromoteAsync(cause, cancellationToken)
            : [];
        return new TerminationResult(TerminationOutcome.Changed, changed, promoted, refunded);
    }

    private async Task<IReadOnlyList<Guid>> PromoteAsync(string cause, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        if (!await SlotAdmission.CouldPromoteAsync(db, options.Value.MaxConcurrent, now))
        {
            return [];
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var promoted = await SlotAdmission.LockAndPromoteAsync(db, options.Value.MaxConcurrent, clock.GetUtcNow().UtcDateTime, cause);
        await transaction.CommitAsync(cancellationToken);
        return promoted;
    }

    /// <summary>R10: RunningHub's own money figure when given, otherwise run time × the tool's rate.</summary>
    private (decimal Cost, bool Estimated) Cost(Job job, TaskUsage? usage, DateTime now)
    {
        if (usage?.ConsumeMoney is { } money)
        {
            return (money, false);
        }

        if (job.StartedAt is not { } started)
        {
            return (0m, true);
        }

        var rate = catalog.Find(job.ToolKey)?.CostPerSecond ?? 0m;
        return (Math.Round((decimal)Math.Max(0, (now - started).TotalSeconds) * rate, 4), true);
    }
}
