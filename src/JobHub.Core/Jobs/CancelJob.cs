using JobHub.Core.Jobs.Slots;
using JobHub.Core.RunningHub;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Jobs;

/// <param name="OwnerId">When set, only this user's job can be cancelled (others get NotFound).</param>
/// <param name="AllowedFrom">The states this cancellation accepts (sweeps cancel only queued jobs); default: any active state.</param>
public sealed record CancelJobRequest(Guid JobId, Guid? OwnerId, string Cause, string ErrorCode, string Reason, string? Actor = null,
    string[]? AllowedFrom = null);

/// <summary>
/// Cancels a job for its owner, an admin, or the abandonment and maximum-wait rules. Refunds once; when
/// the job held a slot, the next queued job starts in the same step; a task already at RunningHub is
/// cancelled there too (best effort, after the job is already cancelled here).
/// </summary>
public sealed class CancelJob(JobTermination termination, IRunningHubClient client, RunningHubAccounts accounts,
    ILogger<CancelJob> logger)
{
    public async Task<TerminationResult> HandleAsync(CancelJobRequest request, CancellationToken cancellationToken = default)
    {
        var result = await termination.CancelAsync(request.JobId, new JobFailure(request.ErrorCode, request.Reason), request.Cause,
            request.AllowedFrom, request.OwnerId, request.Actor, cancellationToken);

        if (result is { Outcome: TerminationOutcome.Changed, TaskId: { } taskId, AccountKey: { } accountKey })
        {
            var cancel = await client.CancelAsync(accounts.Get(accountKey), taskId, CancellationToken.None);
            logger.LogInformation("Cancelled RunningHub task {TaskId} of job {JobId}: {Outcome}", taskId, request.JobId, cancel.Outcome);
        }

        return result;
    }
}
