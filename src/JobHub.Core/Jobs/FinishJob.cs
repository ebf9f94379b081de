using JobHub.Core.RunningHub;

namespace JobHub.Core.Jobs;

/// <summary>
/// Ends a running job with RunningHub's verdict (from the webhook, reconciliation or a sweep). Idempotent:
/// a repeated or late verdict finds the job terminal and changes nothing. The freed slot is refilled at once.
/// </summary>
public sealed class FinishJob(JobTermination termination, JobLauncher launcher)
{
    public async Task<TerminationResult> CompleteAsync(Guid jobId, IReadOnlyList<JobOutput> outputs, TaskUsage? usage, string cause,
        CancellationToken cancellationToken = default)
    {
        var result = await termination.CompleteAsync(jobId, outputs, usage, cause, cancellationToken: cancellationToken);
        launcher.Dispatch(result.Promoted);
        return result;
    }

    public async Task<TerminationResult> FailAsync(Guid jobId, JobFailure failure, string cause, string[]? allowedFrom = null,
        CancellationToken cancellationToken = default)
    {
        var result = await termination.FailAsync(jobId, failure, cause, allowedFrom, cancellationToken: cancellationToken);
        launcher.Dispatch(result.Promoted);
        return result;
    }
}
