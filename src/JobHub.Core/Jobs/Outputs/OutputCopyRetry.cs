using Hangfire.Common;
using Hangfire.States;

namespace JobHub.Core.Jobs.Outputs;

/// <summary>A copy attempt failed in a way that may pass (RunningHub answered 503, the connection dropped): try again after <see cref="RetryIn"/>.</summary>
public sealed class OutputCopyRetryException(string message, TimeSpan retryIn) : Exception(message)
{
    public TimeSpan RetryIn { get; } = retryIn;
}

/// <summary>The copy was given up (a refused URL, the last attempt, expired URLs): the job keeps RunningHub's links.</summary>
public sealed class OutputCopyGaveUpException(string message) : Exception(message);

/// <summary>
/// The retries of an output copy, in place of Hangfire's fixed <c>AutomaticRetry</c>: the copy knows its attempts and its URLs'
/// lifetime, so it names the wait (<see cref="OutputCopyRetryException"/>) or gives up (<see cref="OutputCopyGaveUpException"/>).
/// Any other exception is retried a few times, the wait doubling; past that the job stays failed and the sweep enqueues anew.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OutputCopyRetryAttribute : JobFilterAttribute, IElectStateFilter
{
    private const string UnexpectedRetries = "UnexpectedRetries";
    private const int MaxUnexpectedRetries = 5;

    public void OnStateElection(ElectStateContext context)
    {
        if (context.CandidateState is not FailedState failed)
        {
            return;
        }

        switch (failed.Exception)
        {
            case OutputCopyRetryException retry:
                context.CandidateState = new ScheduledState(retry.RetryIn) { Reason = $"Retry in {retry.RetryIn}: {retry.Message}" };
                break;
            case OutputCopyGaveUpException:
                break;
            default:
                var count = context.GetJobParameter<int>(UnexpectedRetries, allowStale: true) + 1;
                if (count <= MaxUnexpectedRetries)
                {
                    context.SetJobParameter(UnexpectedRetries, count);
                    var wait = TimeSpan.FromSeconds(5 * Math.Pow(2, count - 1));
                    context.CandidateState = new ScheduledState(wait) { Reason = $"Retry {count} of {MaxUnexpectedRetries} in {wait}: {failed.Exception.Message}" };
                }

                break;
        }
    }
}
