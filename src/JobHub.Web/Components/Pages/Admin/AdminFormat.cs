using System.Globalization;

namespace JobHub.Web.Components.Pages.Admin;

/// <summary>How the dashboard writes times and durations.</summary>
public static class AdminFormat
{
    public static string Time(DateTime? utc) =>
        utc is { } value ? DateTime.SpecifyKind(value, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "–";

    public static string Time(DateTimeOffset? value) => value is { } v ? Time(v.UtcDateTime) : "–";

    public static string Age(DateTime? since, DateTime now) => since is { } value ? Duration(now - value) : "–";

    public static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : span.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    public static string Seconds(double? seconds) => seconds is { } s ? Duration(TimeSpan.FromSeconds(s)) : "–";
}
