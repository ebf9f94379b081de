using System.Resources;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Tools;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Web;

/// <summary>Every text the pages show comes from the resource files, in both languages.</summary>
public sealed partial class ResourceTests
{
    private static string Root => FindRoot(AppContext.BaseDirectory);

    private static string FindRoot(string from) =>
        File.Exists(Path.Combine(from, "JobHub.sln")) ? from : FindRoot(Path.GetDirectoryName(from) ?? throw new InvalidOperationException("no repository root"));

    private static Dictionary<string, string> Read(string file) =>
        XDocument.Load(Path.Combine(Root, "src/JobHub.Web/Resources", file)).Root!.Elements("data")
            .ToDictionary(d => d.Attribute("name")!.Value, d => d.Element("value")!.Value);

    [Fact]
    public void BothLanguages_HaveTheSameKeys_AndNoEmptyText()
    {
        var portuguese = Read("Strings.resx");
        var english = Read("Strings.en.resx");
        Assert.Equal(portuguese.Keys.Order(), english.Keys.Order());
        Assert.All(portuguese.Concat(english), entry => Assert.False(string.IsNullOrWhiteSpace(entry.Value), entry.Key));
    }

    [Fact]
    public void EveryKeyThePagesAskFor_Exists()
    {
        var keys = Read("Strings.resx").Keys.ToHashSet();
        var sources = Directory.EnumerateFiles(Path.Combine(Root, "src/JobHub.Web"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"));
        var asked = sources.SelectMany(f => LiteralKey().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToHashSet();
        Assert.NotEmpty(asked);
        Assert.Equal([], asked.Where(k => !keys.Contains(k)).ToArray());

        // Keys made from data: every state, every error code, every tool, every ledger kind.
        var dynamic = JobStatus.Active.Concat(JobStatus.Terminal).Select(s => "Status_" + s)
            .Concat(typeof(JobErrorCodes).GetFields().Select(f => "JobError_" + f.GetValue(null)))
            .Concat(typeof(SubmitErrors).GetFields().Where(f => f.Name != nameof(SubmitErrors.ActiveJobMessage)).Select(f => "Error_" + f.GetValue(null)))
            .Append("Error_" + JobHub.Core.Storage.StorageUnavailableException.Code)
            .Concat(new[] { "grant", "debit", "refund", "adjustment" }.Select(k => "Ledger_" + k))
            .Concat(ToolKeys().Select(k => "ToolDescription_" + k))
            .Concat(JobHub.Core.Admin.AdminErrors.All.Select(c => "AdminError_" + c))
            .Concat(Enum.GetNames<ReconcileOutcome>().Select(o => "Runner_Checked_" + o))
            .Concat(ParameterProblem.All.Select(reason => "ParameterError_" + reason))
            .Concat(typeof(JobHub.Core.Maintenance.MaintenanceTaskKeys).GetFields().Select(f => "Maintenance_" + f.GetValue(null)))
            .Concat(new[] { "succeeded", "failed", "running" }.Select(o => "Maintenance_Outcome_" + o))
            .Concat(new[] { JobHub.Core.Maintenance.MaintenanceTriggers.Schedule, JobHub.Core.Maintenance.MaintenanceTriggers.Manual }.Select(t => "Maintenance_Trigger_" + t))
            .Concat(new[] { "grant", "debit", "refund", "adjustment", "refund_failed", "refund_cancelled" }.Select(k => "LedgerReason_" + k))
            .Concat(JobEventMessages.All.Keys.Select(name => "JobEvent_" + name))
            .Concat(typeof(JobCause).GetFields().Select(f => "EventCause_" + f.GetValue(null)))
            .Concat(new[] { JobEvents.Transition, JobEvents.Ignored, "checked", "outputs_copied" }.Select(k => "EventKind_" + k))
            .Concat(typeof(JobHub.Core.Webhooks.WebhookOutcomes).GetFields().Select(f => "WebhookOutcome_" + f.GetValue(null)))
            .Concat(Enum.GetNames<ReconcileOutcome>().Concat(Enum.GetNames<TerminationOutcome>()).Select(o => "RecordOutcome_" + o))
            .Concat(new[] { "INPUT_EMPTY", "INPUT_TOO_LARGE", "INPUT_TYPE", "INPUT_WRONG_TYPE", "INPUT_TOO_BIG", "INPUT_TOO_LONG", "INPUT_UNREADABLE", "INPUT_UNREADABLE_image", "INPUT_UNREADABLE_video", "INPUT_DAMAGED", "INPUT_MISSING", UploadQuota.TooManyFiles, UploadQuota.TooManyBytes }
                .Select(c => "Error_" + c));
        Assert.Equal([], dynamic.Where(k => !keys.Contains(k)).ToArray());
    }

    [Fact]
    public void NoPortugueseOrEnglishSentence_IsWrittenInTheMarkup()
    {
        var offenders = Directory.EnumerateFiles(Path.Combine(Root, "src/JobHub.Web/Components"), "*.razor", SearchOption.AllDirectories)
            .SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
            .Where(l => !l.Text.TrimStart().StartsWith("//", StringComparison.Ordinal) && !l.Text.Contains("@L[", StringComparison.Ordinal))
            .Where(l => TextBetweenTags().Match(l.Text) is { Success: true } m && m.Groups[1].Value.Trim() is { Length: > 2 } text
                        && !text.StartsWith('@') && text != "JobHub" && !text.All(c => !char.IsLetter(c)) && text is not ("PT" or "EN"))
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void TheRunScript_PrintsTheDemoSignInsThatAreSeeded()
    {
        var script = File.ReadAllText(Path.Combine(Root, "jobhub"));
        Assert.Contains($"{DemoAccounts.UserEmail} / {DemoAccounts.UserPassword}", script);
        Assert.Contains($"{DemoAccounts.AdminEmail} / {DemoAccounts.AdminPassword}", script);
    }

    private static IEnumerable<string> ToolKeys()
    {
        var configuration = Infrastructure.EngineHarness.LoadConfiguration();
        return configuration.GetSection(ToolsOptions.Section).GetChildren().Select(c => c.Key);
    }

    [GeneratedRegex("""L\["([A-Za-z_]+)"[,\]]""")]
    private static partial Regex LiteralKey();

    [GeneratedRegex(""">([^<>@{}]*[A-Za-zÀ-ú]{3,}[^<>@{}]*)</""")]
    private static partial Regex TextBetweenTags();
}
