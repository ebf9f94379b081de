using System.Text.Json;
using System.Text.RegularExpressions;
using JobHub.Core.Jobs;
using Microsoft.Extensions.Localization;

namespace JobHub.Web.Components.Pages.Admin;

/// <summary>
/// What the admin pages show of the words JobHub stores in its records (event kinds, causes and messages, sweep counts,
/// actions, outcomes), in the page's language. The records keep their stored words; one without a resource reads as
/// stored, underscores as spaces. RunningHub's own words about a task and people's reasons are shown as written.
/// </summary>
public static class RecordTexts
{
    public static string Kind(IStringLocalizer localizer, string kind) => Named(localizer, "EventKind_", kind);

    public static string Cause(IStringLocalizer localizer, string cause) => Named(localizer, "EventCause_", cause);

    public static string Status(IStringLocalizer localizer, string? status) => status is null ? "" : Named(localizer, "Status_", status);

    public static string Count(IStringLocalizer localizer, string name) => Named(localizer, "MaintenanceCount_", name);

    public static string Action(IStringLocalizer localizer, string action) => Named(localizer, "AdminAction_", action);

    public static string Delivery(IStringLocalizer localizer, string outcome) => Named(localizer, "WebhookOutcome_", outcome);

    public static string Role(IStringLocalizer localizer, bool admin) => localizer[admin ? "Role_admin" : "Role_user"];

    /// <summary>A field of a record's data by its name (a nested one keeps its path).</summary>
    public static string Field(IStringLocalizer localizer, string path) =>
        localizer["RecordField_" + path] is { ResourceNotFound: false } text ? text.Value : path;

    /// <summary>
    /// A value of a record's data: yes or no, an outcome, a job's state, RunningHub's documented answer beside its code (in
    /// <paramref name="data"/>, the record's JSON); anything else as stored.
    /// </summary>
    public static string Value(IStringLocalizer localizer, string path, string value, string? data = null)
    {
        var dot = path.LastIndexOf('.');
        var field = path[(dot + 1)..];
        if (field is "message" or "errorMessage" && Find(data, path[..(dot + 1)] + (field == "message" ? "code" : "errorCode")) is { } code)
        {
            return JobHub.Web.Jobs.JobTexts.RunningHub(localizer, code, value);
        }

        string[] keys = value is "true" or "false" ? ["RecordValue_" + value]
            : field == "outcome" ? ["Maintenance_Outcome_" + value, "RecordOutcome_" + value]
            : field == "status" ? ["Status_" + value]
            : [];
        return keys.Select(key => localizer[key]).FirstOrDefault(text => !text.ResourceNotFound)?.Value ?? value;
    }

    /// <summary>
    /// An event's message: one of <see cref="JobEventMessages"/> with its values, else the reason of the job's end by its error
    /// code (from the event's data); anything else (RunningHub's words) as stored.
    /// </summary>
    public static string Message(IStringLocalizer localizer, string? message, string? data = null)
    {
        if (string.IsNullOrEmpty(message))
        {
            return "";
        }

        foreach (var (name, pattern) in Patterns)
        {
            if (pattern.Match(message) is { Success: true } match)
            {
                return localizer["JobEvent_" + name, [.. match.Groups.Values.Skip(1).Select(g => Word(localizer, g.Value))]];
            }
        }

        var code = Find(data, "errorCode");
        if (code == JobErrorCodes.RunningHubError)
        {
            return localizer["JobError_RUNNINGHUB_ERROR", message];
        }

        return code is not null && localizer["JobError_" + code] is { ResourceNotFound: false } reason ? reason.Value : message;
    }

    // A placeholder of a composite format as Regex.Escape leaves it ("\{0}", "\{2:0}").
    private static readonly Regex Placeholder = new(@"\\\{\d+(?::[^}]*)?\}");

    private static readonly IReadOnlyList<(string Name, Regex Pattern)> Patterns = JobEventMessages.All
        .Select(m => (m.Key, new Regex("^" + Placeholder.Replace(Regex.Escape(m.Value), "(.*?)") + "$", RegexOptions.Singleline)))
        .ToList();

    /// <summary>A message's value: a job's state or an outcome by its name; anything else (an id, RunningHub's words) as it is.</summary>
    private static string Word(IStringLocalizer localizer, string value) =>
        localizer["Status_" + value] is { ResourceNotFound: false } status ? status.Value.ToLower(System.Globalization.CultureInfo.CurrentCulture)
        : localizer["RecordOutcome_" + value] is { ResourceNotFound: false } outcome ? outcome.Value
        : value;

    /// <summary>The text or number at <paramref name="path"/> (names joined by dots) in a JSON object, if there is one.</summary>
    private static string? Find(string? data, string path)
    {
        if (string.IsNullOrEmpty(data))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(data);
            var element = document.RootElement;
            foreach (var name in path.Split('.'))
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                {
                    return null;
                }
            }

            return element.ValueKind switch
            {
                JsonValueKind.String => element.GetString(),
                JsonValueKind.Number => element.GetRawText(),
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Named(IStringLocalizer localizer, string prefix, string value) =>
        localizer[prefix + value] is { ResourceNotFound: false } text ? text.Value : value.Replace('_', ' ');
}
