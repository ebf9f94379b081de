using System.Text.Json;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Maintenance;
using JobHub.Core.RunningHub;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs;

/// <summary>
/// Ends a running job with RunningHub's verdict (from the webhook, reconciliation or a sweep). Idempotent: a repeated or
/// late verdict finds the job terminal and changes nothing. The copy of a completed job's outputs into JobHub's storage
/// is enqueued once the verdict is stored.
/// </summary>
public sealed class FinishJob(JobTermination termination, CopyOutputs copyOutputs, IOptions<MaintenanceOptions> options)
{
    /// <summary>
    /// Completes the job with its first <see cref="MaintenanceOptions.MaxOutputsPerJob"/> outputs: an answer naming more (a
    /// forged or broken one) keeps no more, and the completion's event says how many were left out.
    /// </summary>
    public async Task<TerminationResult> CompleteAsync(Guid jobId, IReadOnlyList<JobOutput> outputs, TaskUsage? usage, string cause,
        CancellationToken cancellationToken = default, WebhookDelivery? delivery = null)
    {
        var max = options.Value.MaxOutputsPerJob;
        var message = outputs.Count > max ? $"RunningHub named {outputs.Count} result files; the first {max} are kept" : null;
        var result = await termination.CompleteAsync(jobId, outputs.Count > max ? outputs.Take(max).ToList() : outputs, usage, cause,
            delivery: delivery, cancellationToken: cancellationToken, message: message);
        if (result.Outcome == TerminationOutcome.Changed)
        {
            copyOutputs.Enqueue(jobId);
        }

        return result;
    }

    public async Task<TerminationResult> FailAsync(Guid jobId, JobFailure failure, string cause, string[]? allowedFrom = null,
        CancellationToken cancellationToken = default, WebhookDelivery? delivery = null)
    {
        var result = await termination.FailAsync(jobId, failure, cause, allowedFrom, delivery: delivery, cancellationToken: cancellationToken);
        return result;
    }

    /// <summary>
    /// Applies what RunningHub says of a job's task: SUCCESS completes it; FAILED, or cancelled at RunningHub, fails it with
    /// RunningHub's words verbatim (R5); "task not found" fails it <c>RUNNINGHUB_TASK_NOT_FOUND</c>. Anything else (still
    /// running, an undocumented status, a failed request) decides nothing and returns null.
    /// </summary>
    /// <param name="delivery">The webhook delivery the verdict came in, recorded with it (<see cref="WebhookDelivery"/>).</param>
    public Task<TerminationResult>? ApplyAsync(Guid jobId, TaskQueryResult verdict, string cause, CancellationToken cancellationToken = default,
        WebhookDelivery? delivery = null)
    {
        if (verdict.Outcome == CallOutcome.NotFound)
        {
            return FailAsync(jobId, new JobFailure(JobErrorCodes.RunningHubTaskNotFound,
                "RunningHub has no record of this task, so it cannot finish. Your credits were returned.",
                verdict.Code, verdict.Message), cause, JobTransitions.CompleteFrom, cancellationToken, delivery);
        }

        if (verdict.Outcome != CallOutcome.Success)
        {
            return null;
        }

        return verdict.Status switch
        {
            RemoteTaskStatus.Success => CompleteAsync(jobId,
                verdict.Outputs.Select(o => new JobOutput(o.Url, o.NodeId, o.OutputType)).ToList(), verdict.Usage, cause, cancellationToken, delivery),
            RemoteTaskStatus.Failed => FailAsync(jobId, Failure(verdict), cause, JobTransitions.CompleteFrom, cancellationToken, delivery),
            RemoteTaskStatus.Cancelled => FailAsync(jobId, new JobFailure(JobErrorCodes.RunningHubError,
                "RunningHub cancelled this task. Your credits were returned.", verdict.ErrorCode, verdict.ErrorMessage ?? verdict.RawStatus,
                Raw(verdict.FailedReason), verdict.Usage), cause, JobTransitions.CompleteFrom, cancellationToken, delivery),
            _ => null,
        };
    }

    /// <summary>R5: RunningHub's own words are what the user reads.</summary>
    private static JobFailure Failure(TaskQueryResult verdict)
    {
        var message = verdict.ErrorMessage is { Length: > 0 } text
            ? text
            : verdict.ErrorCode is { Length: > 0 } code ? $"RunningHub reported the task failed (code {code})." : "RunningHub reported the task failed.";
        return new JobFailure(JobErrorCodes.RunningHubError, message, verdict.ErrorCode, verdict.ErrorMessage, Raw(verdict.FailedReason), verdict.Usage);
    }

    private static string? Raw(JsonElement? element) => element is { } value ? value.GetRawText() : null;
}
