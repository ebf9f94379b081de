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

/// <summary>A ledger entry's reason in the reader's language; only an admin's adjustment keeps the admin's own words.</summary>
public static class LedgerTexts
{
    public static string Reason(IStringLocalizer localizer, LedgerEntry entry) => entry.Kind switch
    {
        JobHub.Core.Credits.LedgerKinds.Adjustment => entry.Reason ?? "",
        // The refund's stored reason is "job <status>" (the terminal state that refunded it).
        JobHub.Core.Credits.LedgerKinds.Refund when entry.Reason is { } reason && reason.StartsWith("job ", StringComparison.Ordinal) =>
            localizer["LedgerReason_refund_" + reason[4..]],
        _ => localizer["LedgerReason_" + entry.Kind],
    };
}
