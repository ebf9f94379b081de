using System.Text.Json;

namespace JobHub.Core.RunningHub;

/// <summary>
/// RunningHub's API as JobHub uses it (RUNNINGHUB.md). Every call returns a typed outcome instead of
/// throwing for RunningHub's own errors, so callers decide by <see cref="CallOutcome"/>.
/// </summary>
public interface IRunningHubClient
{
    Task<UploadResult> UploadAsync(RunningHubAccount account, Stream content, string fileName, string contentType, CancellationToken cancellationToken);

    /// <summary>Starts an AI app. Never retried automatically: a second start is a second paid task.</summary>
    Task<StartResult> StartAsync(RunningHubAccount account, StartRequest request, CancellationToken cancellationToken);

    Task<TaskQueryResult> QueryAsync(RunningHubAccount account, string taskId, CancellationToken cancellationToken);

    Task<CallResult> CancelAsync(RunningHubAccount account, string taskId, CancellationToken cancellationToken);

    Task<AccountStatusResult> GetAccountStatusAsync(RunningHubAccount account, CancellationToken cancellationToken);
}

public enum CallOutcome
{
    Success,

    /// <summary>421 / 415 / 1520: RunningHub is full; retry later, not a job failure.</summary>
    Capacity,

    /// <summary>1003: too many requests; retry later.</summary>
    RateLimited,

    /// <summary>Any other RunningHub error; <see cref="CallResult.Code"/> and message are kept verbatim.</summary>
    Error,

    /// <summary>The task does not exist (807, 1007 on query).</summary>
    NotFound,

    /// <summary>RunningHub could not be reached, or answered something that is not its API.</summary>
    Transport,

    /// <summary>The request may or may not have been carried out (timeout after sending a start).</summary>
    Unknown,
}

public record CallResult(CallOutcome Outcome, string? Code = null, string? Message = null)
{
    public bool IsSuccess => Outcome == CallOutcome.Success;
}

public sealed record UploadResult(CallOutcome Outcome, string? FileName, string? Code = null, string? Message = null)
    : CallResult(Outcome, Code, Message);

public sealed record NodeInfo(string NodeId, string FieldName, string FieldValue, string? Description = null);

public sealed record StartRequest(string WebappId, IReadOnlyList<NodeInfo> Nodes, string? WebhookUrl, string? InstanceType = null);

public sealed record StartResult(CallOutcome Outcome, string? TaskId, string? Code = null, string? Message = null)
    : CallResult(Outcome, Code, Message);

public enum RemoteTaskStatus
{
    Queued,
    Running,
    Success,
    Failed,
    Cancelled,

    /// <summary>A status RunningHub did not document: never treated as success.</summary>
    Unknown,
}

public sealed record TaskOutput(string Url, string? NodeId = null, string? OutputType = null, string? Text = null);

/// <summary>RunningHub's usage figures; each may be absent.</summary>
public sealed record TaskUsage(decimal? ConsumeMoney, decimal? ConsumeCoins, decimal? ThirdPartyConsumeMoney, decimal? TaskCostTime);

public sealed record TaskQueryResult(
    CallOutcome Outcome,
    RemoteTaskStatus Status,
    IReadOnlyList<TaskOutput> Outputs,
    TaskUsage? Usage,
    string? ErrorCode = null,
    string? ErrorMessage = null,
    JsonElement? FailedReason = null,
    string? RawStatus = null,
    string? Code = null,
    string? Message = null) : CallResult(Outcome, Code, Message);

public sealed record AccountStatusResult(
    CallOutcome Outcome,
    decimal? RemainCoins,
    int? CurrentTaskCounts,
    decimal? RemainMoney,
    string? Currency,
    string? Code = null,
    string? Message = null) : CallResult(Outcome, Code, Message);
