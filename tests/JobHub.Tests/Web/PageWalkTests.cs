using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using JobHub.Bench.Load;
using JobHub.Core.Accounts;
using JobHub.Core.Admin;
using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Web;

/// <summary>
/// One JobHub with a little of everything for the walk: a failed job, one cancelled by its owner, one cancelled by an admin,
/// one RunningHub no longer knows (found by an admin's reconcile), sweeps that ran, and the admin actions' records.
/// </summary>
public sealed class PageWalkFixture : IAsyncLifetime
{
    public LiveJobHub Hub { get; private set; } = null!;
    public Guid DemoUser { get; private set; }
    public Guid FailedJob { get; private set; }
    public Guid CancelledJob { get; private set; }
    public Guid AdminCancelledJob { get; private set; }
    public Guid UnknownTaskJob { get; private set; }
    private readonly Dictionary<string, HttpClient> sessions = [];

    public async Task InitializeAsync()
    {
        Hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" },
            new JobHub.Simulator.SimulatorSettings { RunFor = TimeSpan.FromMilliseconds(300), FailureRate = 1, FailureMessage = "the GPU ran out of memory" });
        DemoUser = await Hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({DemoAccounts.UserEmail})");
        FailedJob = (await Hub.SubmitAsync(DemoUser)).Id;
        await Hub.WaitForJobAsync(FailedJob, job => job.Status == JobStatus.Failed);
        var other = await Hub.CreateUserAsync(10);
        Hub.Simulator.Settings = Hub.Simulator.Settings with { FailureRate = 0, RunFor = TimeSpan.FromMinutes(5) };
        CancelledJob = (await Hub.SubmitAsync(other)).Id;
        await Hub.WaitForJobAsync(CancelledJob, job => job.Status == JobStatus.Running);
        await Hub.Services.GetRequiredService<CancelJob>().HandleAsync(
            new CancelJobRequest(CancelledJob, other, JobCause.User, JobErrorCodes.CancelledByUser, "changed my mind"));
        var runner = Hub.Services.GetRequiredService<MaintenanceRunner>();
        await runner.RunNowAsync(MaintenanceTaskKeys.PromoteQueue);
        await runner.RunNowAsync(MaintenanceTaskKeys.Retention);

        var adminId = await Hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({DemoAccounts.AdminEmail})");
        var admin = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, adminId.ToString()), new Claim(ClaimTypes.Role, Roles.Admin), new Claim(ClaimTypes.Email, DemoAccounts.AdminEmail)], "test"));
        var actions = Hub.Services.GetRequiredService<AdminActions>();
        AdminCancelledJob = (await Hub.SubmitAsync(await Hub.CreateUserAsync(10))).Id;
        await Hub.WaitForJobAsync(AdminCancelledJob, job => job.Status == JobStatus.Running);
        Assert.True((await actions.CancelAsync(admin, AdminCancelledJob, "the person asked by email")).Succeeded);
        UnknownTaskJob = (await Hub.SubmitAsync(await Hub.CreateUserAsync(10))).Id;
        await Hub.WaitForJobAsync(UnknownTaskJob, job => job.Status == JobStatus.Running);
        Hub.Simulator.Settings = Hub.Simulator.Settings with { QueryNotFound = true };
        Assert.True((await actions.ReconcileAsync(admin, UnknownTaskJob, "stuck for an hour")).Succeeded);
        await Hub.WaitForJobAsync(UnknownTaskJob, job => job.Status == JobStatus.Failed);
        Assert.True((await actions.RunTaskNowAsync(admin, MaintenanceTaskKeys.PromoteQueue, "after the incident")).Succeeded);
    }

    /// <summary>A signed-in HTTP session in <paramref name="culture"/> (the language switch's cookie) for "user" or "admin"; "anonymous" has no sign-in.</summary>
    public async Task<HttpClient> SessionAsync(string role, string culture = "pt-BR")
    {
        if (sessions.TryGetValue($"{role} {culture}", out var existing))
        {
            return existing;
        }

        var cookies = new CookieContainer();
        cookies.Add(Hub.BaseAddress, new Cookie(".AspNetCore.Culture", Uri.EscapeDataString($"c={culture}|uic={culture}")));
        var http = ApiSession.Create(Hub.BaseAddress, cookies);
        if (role != "anonymous")
        {
            var (email, password) = role == "admin"
                ? (DemoAccounts.AdminEmail, DemoAccounts.AdminPassword)
                : (DemoAccounts.UserEmail, DemoAccounts.UserPassword);
            Assert.True(await ApiSession.SignInAsync(http, cookies, email, password));
        }

        return sessions[$"{role} {culture}"] = http;
    }

    public async Task DisposeAsync()
    {
        foreach (var session in sessions.Values)
        {
            session.Dispose();
        }

        await Hub.DisposeAsync();
    }
}

/// <summary>
/// Every page, as the role that may see it, with no query string and with each of its filters, in both languages: 200,
/// never the error page, and in one language only (no text of the other language's resources, no English word JobHub
/// stores in its records shown untranslated). A new page or filter is one line in <see cref="Pages"/>.
/// </summary>
public sealed partial class PageWalkTests(PageWalkFixture fixture) : IClassFixture<PageWalkFixture>
{
    public static TheoryData<string, string> Pages => new()
    {
        { "anonymous", "/" },
        { "anonymous", "/account/login" },
        { "anonymous", "/account/login?returnUrl=%2Fhistory" },
        { "anonymous", "/account/register" },
        { "anonymous", "/account/forgot" },
        { "anonymous", "/account/reset" },
        { "anonymous", "/account/reset?user=x&token=y" },
        { "anonymous", "/account/confirm" },
        { "anonymous", "/account/confirm?user=00000000-0000-0000-0000-000000000001&token=eHl6" },
        { "user", "/account/confirm-email" },
        { "user", "/" },
        { "user", "/history" },
        { "user", "/account" },
        { "user", "/account?password=changed" },
        { "user", "/account/password" },
        { "anonymous", "/account/login?deleted=1" },
        { "user", "/tools/image-upscaler" },
        { "user", "/tools/video-upscaler" },
        { "user", "/tools/pose-changer" },
        { "user", "/tools/virtual-try-on" },
        { "admin", "/admin" },
        { "admin", "/admin/queue" },
        { "admin", "/admin/jobs" },
        { "admin", "/admin/jobs?status=failed" },
        { "admin", "/admin/jobs?status=cancelled" },
        { "admin", "/admin/jobs?tool=pose-changer" },
        { "admin", "/admin/jobs?user=demo" },
        { "admin", "/admin/jobs?error=RUNNINGHUB_ERROR" },
        { "admin", "/admin/jobs?from=2026-01-01" },
        { "admin", "/admin/jobs?to=2030-12-31" },
        { "admin", "/admin/jobs?page=1" },
        { "admin", "/admin/jobs?status=failed&tool=pose-changer&user=demo&error=RUNNINGHUB_ERROR&from=2026-01-01&to=2030-12-31" },
        { "admin", "/admin/jobs?from=not-a-date&page=-3" },
        { "admin", "/admin/jobs/{failed}" },
        { "admin", "/admin/jobs/{cancelled}" },
        { "admin", "/admin/jobs/{admin-cancelled}" },
        { "admin", "/admin/jobs/{unknown-task}" },
        { "admin", "/admin/failures" },
        { "admin", "/admin/maintenance" },
        { "admin", "/admin/users" },
        { "admin", "/admin/users?search=demo" },
        { "admin", "/admin/users/{demo}" },
        { "admin", "/admin/actions" },
        { "admin", "/admin/invariants" },
    };

    public static TheoryData<string, string, string> PagesInBothLanguages()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var culture in new[] { "pt-BR", "en" })
        {
            foreach (var row in Pages)
            {
                data.Add(culture, (string)row[0], (string)row[1]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PagesInBothLanguages))]
    public async Task Page_Answers200_WithoutTheErrorPage_InOneLanguageOnly(string culture, string role, string path)
    {
        var http = await fixture.SessionAsync(role, culture);
        path = path.Replace("{failed}", fixture.FailedJob.ToString()).Replace("{cancelled}", fixture.CancelledJob.ToString())
            .Replace("{admin-cancelled}", fixture.AdminCancelledJob.ToString()).Replace("{unknown-task}", fixture.UnknownTaskJob.ToString())
            .Replace("{demo}", fixture.DemoUser.ToString());

        using var response = await http.GetAsync(path.TrimStart('/'));

        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} as {role}: {(int)response.StatusCode} {response.Headers.Location}");
        var text = Emails().Replace(VisibleText(html), " ");
        var english = culture == "en";
        Assert.DoesNotContain((english ? English : Portuguese)["Error_Text"], text);
        var foreign = (english ? PortugueseFromTheCode : EnglishFromTheCode).Where(phrase => text.Contains(phrase, StringComparison.Ordinal))
            .Concat(english ? [] : EnglishWordsInTheRecords.Where(word => Regex.IsMatch(text, $@"(?<![\w-]){Regex.Escape(word)}(?![\w-])")))
            .ToList();
        Assert.True(foreign.Count == 0, $"{path} as {role} in {culture} shows the other language: {string.Join(" | ", foreign)}");

        // Blazor's own reconnect dialog is English: every page brings JobHub's, in its language.
        Assert.Contains("id=\"components-reconnect-modal\"", html);
    }

    private static readonly Dictionary<string, string> Portuguese = Resources("Strings.resx");
    private static readonly Dictionary<string, string> English = Resources("Strings.en.resx");

    /// <summary>
    /// English that JobHub, RunningHub or Blazor write into what pages show (event kinds and causes, states, event messages,
    /// error texts, sweep counts, roles, outcomes, RunningHub's fixed answers, Blazor's and MudBlazor's own texts): a
    /// Portuguese page translates each. RunningHub's own words about a task and people's words (reasons) stay as written.
    /// </summary>
    private static readonly string[] EnglishWordsInTheRecords =
    [
        "transition", "ignored", "checked", "outputs_copied", "system", "sweep", "queued", "starting", "running", "completed",
        "failed", "cancelled", "slot free: starting", "all slots busy", "promoted from the queue", "Cancelled by an administrator",
        "Cancelled by you", "Your credits were returned", "has no record of this task", "promoted", "succeeded", "skipped_paused",
        "files_deleted", "task or parameters not found", "admin", "user", "Changed", "Finished", "finished", "duplicate", "true", "false", "Required",
        "Rejoin failed", "Rejoining the server", "Failed to rejoin", "Retry", "Resume", "reconcile", "cancel", "run-task",
    ];

    /// <summary>The Portuguese counterpart of <see cref="EnglishFromTheCode"/>, for the English pages.</summary>
    private static readonly IReadOnlyList<string> PortugueseFromTheCode = Portuguese
        .Where(e => English.TryGetValue(e.Key, out var en) && en != e.Value)
        .Select(e => Placeholder().Split(e.Value).OrderByDescending(part => part.Length).First().Trim())
        .Where(part => part.Length >= 14 && part.Contains(' '))
        .Distinct()
        .ToList();

    /// <summary>
    /// English the code could show: every English resource text that differs from its Portuguese one (longer phrases
    /// only, so a shared word like "Status" is not taken for one), and the English that Core writes into the records
    /// (ledger reasons, sweep descriptions) which pages must translate, never show.
    /// </summary>
    private static readonly IReadOnlyList<string> EnglishFromTheCode = Resources("Strings.en.resx")
        .Where(e => Portuguese.TryGetValue(e.Key, out var pt) && pt != e.Value)
        .Select(e => Placeholder().Split(e.Value).OrderByDescending(part => part.Length).First().Trim())
        .Where(part => part.Length >= 14 && part.Contains(' '))
        .Concat(["sign-up grant", "job failed", "job cancelled", "A reason is required", "cannot go below zero", "The job is already"])
        .Concat(typeof(MaintenanceTaskKeys).Assembly.GetTypes()
            .Where(t => typeof(IMaintenanceTask).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
            .Select(t => t.GetProperty(nameof(IMaintenanceTask.Description))!)
            .Select(p => (string)p.GetValue(System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(p.DeclaringType!))!))
        .Distinct()
        .ToList();

    private static Dictionary<string, string> Resources(string file)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "JobHub.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        return XDocument.Load(Path.Combine(root, "src/JobHub.Web/Resources", file)).Root!.Elements("data")
            .ToDictionary(d => d.Attribute("name")!.Value, d => d.Element("value")!.Value);
    }

    private static string VisibleText(string html) =>
        WebUtility.HtmlDecode(Whitespace().Replace(Tags().Replace(ScriptsAndStyles().Replace(html, " "), " "), " "));

    [GeneratedRegex(@"<(script|style)[^>]*>.*?</\1>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex ScriptsAndStyles();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\{\d+[^}]*\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"[\w.+-]+@[\w.-]+")]
    private static partial Regex Emails();
}
