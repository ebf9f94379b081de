using System.Net;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using JobHub.Bench.Load;
using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Web;

/// <summary>One JobHub with a little of everything (a failed, a cancelled and a running job, sweeps that ran) for the walk.</summary>
public sealed class PageWalkFixture : IAsyncLifetime
{
    public LiveJobHub Hub { get; private set; } = null!;
    public Guid DemoUser { get; private set; }
    public Guid FailedJob { get; private set; }
    public Guid CancelledJob { get; private set; }
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
    }

    /// <summary>A signed-in HTTP session (pt-BR, the default language) for "user" or "admin"; "anonymous" has no cookie.</summary>
    public async Task<HttpClient> SessionAsync(string role)
    {
        if (sessions.TryGetValue(role, out var existing))
        {
            return existing;
        }

        var cookies = new CookieContainer();
        var http = ApiSession.Create(Hub.BaseAddress, cookies);
        if (role != "anonymous")
        {
            var (email, password) = role == "admin"
                ? (DemoAccounts.AdminEmail, DemoAccounts.AdminPassword)
                : (DemoAccounts.UserEmail, DemoAccounts.UserPassword);
            Assert.True(await ApiSession.SignInAsync(http, cookies, email, password));
        }

        return sessions[role] = http;
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
/// Every page, as the role that may see it, with no query string and with each of its filters: 200, never the error
/// page, and in Portuguese no English sentence from the code. A new page or filter is one line in <see cref="Pages"/>.
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
        { "admin", "/admin/failures" },
        { "admin", "/admin/maintenance" },
        { "admin", "/admin/users" },
        { "admin", "/admin/users?search=demo" },
        { "admin", "/admin/users/{demo}" },
        { "admin", "/admin/actions" },
        { "admin", "/admin/invariants" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_Answers200_WithoutTheErrorPage_AndWithoutEnglishFromTheCode(string role, string path)
    {
        var http = await fixture.SessionAsync(role);
        path = path.Replace("{failed}", fixture.FailedJob.ToString()).Replace("{cancelled}", fixture.CancelledJob.ToString())
            .Replace("{demo}", fixture.DemoUser.ToString());

        using var response = await http.GetAsync(path.TrimStart('/'));

        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} as {role}: {(int)response.StatusCode} {response.Headers.Location}");
        var text = VisibleText(html);
        Assert.DoesNotContain(Portuguese["Error_Text"], text);
        var english = EnglishFromTheCode.Where(sentence => text.Contains(sentence, StringComparison.Ordinal)).ToList();
        Assert.True(english.Count == 0, $"{path} as {role} shows English on a Portuguese page: {string.Join(" | ", english)}");
    }

    private static readonly Dictionary<string, string> Portuguese = Resources("Strings.resx");

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
}
