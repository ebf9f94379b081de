using JobHub.Core.Jobs;
using Microsoft.Extensions.Localization;

namespace JobHub.Web.Jobs;

/// <summary>What a user reads about a job's end (R5): JobHub's reason in their language, RunningHub's words verbatim.</summary>
public static class JobTexts
{
    public static string Error(IStringLocalizer localizer, Job job)
    {
        var text = localizer["JobError_" + job.ErrorCode];
        if (job.ErrorCode == JobErrorCodes.RunningHubError)
        {
            return localizer["JobError_RUNNINGHUB_ERROR", job.ErrorMessage ?? job.ProviderMessage ?? job.ProviderCode ?? "?"];
        }

        if (text.ResourceNotFound)
        {
            return job.ErrorMessage ?? job.ErrorCode ?? "";
        }

        return job.ProviderMessage is { Length: > 0 } provider ? $"{text.Value} (RunningHub: {RunningHub(localizer, job.ProviderCode, provider)})" : text.Value;
    }

    /// <summary>
    /// What RunningHub answered: one of its documented answers to a request (by its code) in the page's language; its words
    /// about a task (a failure's message, an unknown code) as written.
    /// </summary>
    public static string RunningHub(IStringLocalizer localizer, string? code, string message) =>
        code is not null && localizer["RunningHubCode_" + code] is { ResourceNotFound: false } text ? text.Value : message;

    /// <summary>A runner message: its resource, with its values where the text has places for them.</summary>
    public static string Message(IStringLocalizer localizer, RunnerMessage message)
    {
        var text = localizer[message.Key, [.. message.Arguments]];
        return text.ResourceNotFound ? string.Join(" ", message.Arguments.DefaultIfEmpty(message.Key)) : text.Value;
    }
}

/// <summary>An estimated time said plainly, in the page's language: "2 s" under a minute, then "about 3 min", "about 1 h 5 min".</summary>
public static class EstimateTexts
{
    public static string Say(IStringLocalizer localizer, TimeSpan estimate)
    {
        if (estimate < TimeSpan.FromSeconds(59.5))
        {
            return localizer["Estimate_Seconds", Math.Max(1, (int)Math.Round(estimate.TotalSeconds))];
        }

        var minutes = Math.Max(1, (int)Math.Round(estimate.TotalMinutes));
        return minutes < 60 ? localizer["Estimate_Minutes", minutes]
            : minutes % 60 == 0 ? localizer["Estimate_Hours", minutes / 60]
            : localizer["Estimate_HoursMinutes", minutes / 60, minutes % 60];
    }
}

/// <summary>A ledger entry's reason in the reader's language; only an admin's adjustment keeps the admin's own words.</summary>
public static class LedgerTexts
{
    public static string Reason(IStringLocalizer localizer, LedgerEntry entry) => entry.Kind switch
    {
        JobHub.Core.Credits.LedgerKinds.Adjustment => entry.Reason ?? "",
        JobHub.Core.Credits.LedgerKinds.Refund when RefundedFor(entry) is { } status => localizer["LedgerReason_refund_" + status],
        _ => localizer["LedgerReason_" + entry.Kind],
    };

    /// <summary>
    /// What a job's debit or refund says before the link to its job: the tool by its name and, for a refund, why
    /// ("Refund, the job failed: Arcane Upscaler –").
    /// </summary>
    public static string ForJob(IStringLocalizer localizer, LedgerEntry entry, string toolName) =>
        (entry.Kind == JobHub.Core.Credits.LedgerKinds.Refund && RefundedFor(entry) is { } status
            ? localizer["LedgerJob_refund_" + status, toolName] : localizer["LedgerJob_" + entry.Kind, toolName]).Value;

    /// <summary>The terminal state that refunded a job: a refund's stored reason is "job &lt;status&gt;".</summary>
    private static string? RefundedFor(LedgerEntry entry) =>
        entry.Reason is { } reason && reason.StartsWith("job ", StringComparison.Ordinal) ? reason[4..] : null;
}
