using System.Globalization;
using JobHub.Core.Admin;
using Microsoft.Extensions.Localization;

namespace JobHub.Web.Components.Pages.Admin;

/// <summary>How the dashboard writes durations (times are <c>LocalTime</c>, in the person's time zone).</summary>
public static class AdminFormat
{
    public static string Age(DateTime? since, DateTime now) => since is { } value ? Duration(now - value) : "–";

    public static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : span.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    public static string Seconds(double? seconds) => seconds is { } s ? Duration(TimeSpan.FromSeconds(s)) : "–";

    /// <summary>An action's outcome in the page's language: "done", or why it was refused.</summary>
    public static string Outcome(IStringLocalizer localizer, AdminResult result) =>
        result.Succeeded ? localizer["Admin_Done"]
        : result.ErrorCode == AdminErrors.JobAlreadyEnded && result.ErrorArguments is [string status, ..]
            ? localizer["AdminError_" + result.ErrorCode, localizer["Status_" + status].Value.ToLower(CultureInfo.CurrentCulture)]
            : localizer["AdminError_" + result.ErrorCode, [.. result.ErrorArguments]];
}
