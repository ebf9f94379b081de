using System.Text.Json;
using System.Text.Json.Serialization;
using JobHub.Core.Jobs.Outputs;

namespace JobHub.Core.Jobs;

/// <summary>The job states of SPEC.md. Terminal states are final.</summary>
public static class JobStatus
{
    public const string Queued = "queued";
    public const string Starting = "starting";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly string[] Active = [Queued, Starting, Running];
    public static readonly string[] InSlot = [Starting, Running];
    public static readonly string[] Terminal = [Completed, Failed, Cancelled];

    public static bool IsTerminal(string status) => Terminal.Contains(status);
}

/// <summary>Who or what caused a transition; recorded with every job event.</summary>
public static class JobCause
{
    public const string User = "user";
    public const string Webhook = "webhook";
    public const string Reconcile = "reconcile";
    public const string Sweep = "sweep";
    public const string Admin = "admin";
    public const string System = "system";
}

/// <summary>JobHub's own error codes (RunningHub's codes are kept separately, verbatim).</summary>
public static class JobErrorCodes
{
    public const string RunningHubError = "RUNNINGHUB_ERROR";
    public const string RunningHubTaskNotFound = "RUNNINGHUB_TASK_NOT_FOUND";
    public const string RunningHubStartUnknown = "RUNNINGHUB_START_UNKNOWN";
    public const string RunningHubUnavailable = "RUNNINGHUB_UNAVAILABLE";
    public const string Timeout = "TIMEOUT";
    public const string Orphaned = "ORPHANED";
    public const string LaunchFailed = "LAUNCH_FAILED";
    public const string QueueAbandoned = "QUEUE_ABANDONED";
    public const string QueueMaxWait = "QUEUE_MAX_WAIT";
    public const string CancelledByUser = "CANCELLED_BY_USER";
    public const string CancelledByAdmin = "CANCELLED_BY_ADMIN";
}

/// <summary>
/// An input file stored by JobHub before the job exists (R9). An image larger than its input's
/// <c>ScaleToLongestSide</c> also has a scaled copy (<see cref="ScaledName"/>): that copy goes to RunningHub, the
/// original stays for the before/after view.
/// </summary>
public sealed record StoredInput(
    string Key,
    string StoredName,
    string MimeType,
    long Bytes,
    int Width,
    int Height,
    double? DurationSeconds,
    string? OriginalName,
    string? ScaledName = null,
    int? ScaledWidth = null,
    int? ScaledHeight = null)
{
    /// <summary>The file that is sent to RunningHub.</summary>
    public string SentName => ScaledName ?? StoredName;

    /// <summary>Every file of this input in storage.</summary>
    public IEnumerable<string> Files => ScaledName is null ? [StoredName] : [StoredName, ScaledName];
}

/// <summary>A result file: RunningHub's URL (valid 24 h) and, once copied, JobHub's stored copy.</summary>
public sealed record JobOutput(string Url, string? NodeId, string? OutputType, string? StoredName = null);

/// <summary>One row of <c>jobs</c>.</summary>
public sealed class Job
{
    public Guid Id { get; init; }
    public Guid UserId { get; init; }
    public string ToolKey { get; init; } = "";
    public string Status { get; init; } = "";
    public string Parameters { get; init; } = "{}";
    public string Inputs { get; init; } = "[]";
    public string? WebappId { get; init; }
    public int CreditCost { get; init; }
    public bool WaitedInQueue { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? QueuedAt { get; init; }
    public long? QueueSeq { get; init; }
    public DateTime? NextAttemptAt { get; init; }
    public int LaunchAttempts { get; init; }
    public DateTime? StartingAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? CompletedAt { get; init; }
    public string? AccountKey { get; init; }
    public string? TaskId { get; init; }
    public string Outputs { get; init; } = "[]";
    public string? Usage { get; init; }
    public decimal? CostMoney { get; init; }
    public bool CostEstimated { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public string? ProviderCode { get; init; }
    public string? ProviderMessage { get; init; }
    public string? FailedReason { get; init; }
    public DateTime? LastCheckedAt { get; init; }
    public DateTime? LastHeartbeatAt { get; init; }
    public DateTime? OutputsCopiedAt { get; init; }
    public int OutputCopyAttempts { get; init; }
    public string? OutputCopyError { get; init; }

    /// <summary>The Hangfire job that copies the outputs (its retries included); null until one was enqueued.</summary>
    public string? OutputCopyJobId { get; init; }
    public DateTime? FilesDeletedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    public IReadOnlyDictionary<string, string> ParameterValues =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(Parameters, JobJson.Options) ?? [];

    public IReadOnlyList<StoredInput> InputFiles =>
        JsonSerializer.Deserialize<List<StoredInput>>(Inputs, JobJson.Options) ?? [];

    public IReadOnlyList<JobOutput> OutputFiles =>
        JsonSerializer.Deserialize<List<JobOutput>>(Outputs, JobJson.Options) ?? [];

    /// <summary>Every file of this job that may be in storage: its inputs (and their scaled copies), its copied results and their thumbnails.</summary>
    public IEnumerable<string> StoredFiles() =>
        InputFiles.SelectMany(i => i.Files).Concat(OutputFiles.Select(o => o.StoredName).OfType<string>()
            .SelectMany(name => new[] { name, ResultThumbnails.NameFor(name) }.OfType<string>()));
}

public static class JobJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
