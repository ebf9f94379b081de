using System.Globalization;
using System.Reflection;

namespace JobHub.Core.Jobs;

/// <summary>
/// The messages JobHub writes on job events, stored in English as written here (composite formats of invariant values).
/// Pages show each in their own language by its name (the resource <c>JobEvent_&lt;name&gt;</c>), so a message is added here.
/// </summary>
public static class JobEventMessages
{
    public const string Queued = "all slots busy or older jobs waiting: queued";
    public const string Starting = "slot free: starting";
    public const string Promoted = "promoted from the queue";
    public const string Running = "RunningHub task {0}";

    /// <summary>A transition to {0} that the job's state {1} did not allow (written by SQL: <see cref="JobTermination"/>).</summary>
    public const string Refused = "{0} refused: the job is {1}";

    /// <summary>A check's answer: RunningHub's status for the task, or how the call went when it gave none.</summary>
    public const string Checked = "RunningHub: {0}";

    public const string UnwantedTask = "RunningHub started task {0} after the job became {1}; cancelling it at RunningHub";
    public const string OutputsCopied = "{0} result file(s) copied into JobHub's storage";
    public const string Capacity = "RunningHub is at capacity ({0}: {1}); retrying in {2:0} s";

    /// <summary>An admin's cancellation, with the admin's reason; also the job's error message.</summary>
    public const string CancelledByAdmin = "Cancelled by an administrator: {0}";

    public static string Format(string message, params object?[] values) => string.Format(CultureInfo.InvariantCulture, message, values);

    /// <summary>Every message by its name.</summary>
    public static IReadOnlyDictionary<string, string> All { get; } = typeof(JobEventMessages)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);
}
