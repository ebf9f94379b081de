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

        return job.ProviderMessage is { Length: > 0 } provider ? $"{text.Value} (RunningHub: {provider})" : text.Value;
    }

    /// <summary>A runner message: its resource, with the detail (an argument or RunningHub's words) where the text has a place for it.</summary>
    public static string Message(IStringLocalizer localizer, RunnerMessage message)
    {
        var text = localizer[message.Key, message.Detail ?? ""];
        return text.ResourceNotFound ? message.Detail ?? message.Key : text.Value;
    }
}
