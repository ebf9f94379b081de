using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace JobHub.Tests.Admin;

public sealed class AdminHostFixture : IAsyncLifetime
{
    public LiveJobHub Hub { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" },
            new SimulatorSettings { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMilliseconds(500), WebhookLostRate = 1 });

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>The admin dashboard in Chromium: who may enter, and an admin's work on stuck jobs, sweeps and credits.</summary>
public sealed class AdminBrowserTests(AdminHostFixture fixture) : IClassFixture<AdminHostFixture>
{
    public static readonly TheoryData<string> Pages = new()
    {
        "admin", "admin/queue", "admin/jobs", $"admin/jobs/{Guid.Empty}", "admin/failures", "admin/maintenance", "admin/users",
        $"admin/users/{Guid.Empty}", "admin/actions", "admin/invariants", "admin/hangfire", "admin/hangfire/recurring",
    };

    private LiveJobHub Hub => fixture.Hub;

    private string Url(string path) => new Uri(Hub.BaseAddress, path).ToString();

    private Task<IPage> SignedInAsync(IBrowserContext context, string email, string password) =>
        BrowserPages.SignedInAsync(context, Hub.BaseAddress, email, password);

    private static async Task ScreenshotOnFailureAsync(IPage page, string name, Func<Task> scenario)
    {
        try
        {
            await scenario();
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, $"admin-{name}.png"), FullPage = true });
            throw;
        }
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task NonAdmin_Gets403_OnEveryAdminPage_ByDirectUrlAndByPost(string path)
    {
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        var page = await SignedInAsync(context, DemoAccounts.UserEmail, DemoAccounts.UserPassword);

        var response = await page.GotoAsync(Url(path));
        Assert.Equal(403, response!.Status);
        await Assertions.Expect(page.Locator("#status-page")).ToHaveAttributeAsync("data-code", "403");
        await Assertions.Expect(page.Locator("#admin-nav")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#nav-admin")).ToHaveCountAsync(0);

        // A forged form post, with the user's own cookie and a valid anti-forgery token, is refused the same way.
        await page.GotoAsync(Hub.BaseAddress.ToString());
        var token = await page.Locator("input[name='__RequestVerificationToken']").First.GetAttributeAsync("value");
        var form = context.APIRequest.CreateFormData();
        form.Set("__RequestVerificationToken", token!);
        form.Set("_handler", "adjust");
        form.Set("reason", "forged");
        form.Set("amount", "1000");
        var forged = await page.APIRequest.PostAsync(Url(path), new() { Form = form });
        Assert.True(forged.Status == 403, $"forged post: {forged.Status} {await forged.TextAsync()}");
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Anonymous_IsSentToSignIn(string path)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Hub.BaseAddress };
        using var response = await http.GetAsync(path);
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/account/login", response.Headers.Location!.ToString());
    }

    /// <summary>Confirms the open dialog with <paramref name="reason"/> (its button waits for one; nothing says so before the person begins).</summary>
    private static async Task ConfirmAsync(IPage page, string reason)
    {
        await Assertions.Expect(page.Locator(".mud-dialog #confirm-yes")).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator(".mud-dialog .mud-input-error")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator(".mud-dialog")).Not.ToContainTextAsync("Required");
        await page.FillAsync("#confirm-reason", reason);
        await page.ClickAsync("#confirm-yes");
        await Assertions.Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Admin_SeesAStuckJobInTheQueue_ReconcilesIt_AndWatchesItComplete()
    {
        var owner = await Hub.CreateUserAsync();
        var job = await Hub.SubmitAsync(owner); // its webhook is lost, and no sweep runs in this host: it stays "running"
        await Hub.WaitForJobAsync(job.Id, j => j.Status == JobStatus.Running);
        Assert.True(await Hub.WaitUntilAsync(() => Task.FromResult(Hub.Simulator.Tasks.Any(t => t.Status == SimTaskStatus.Success))));
        await using var context = await (await Browser.GetAsync()).NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 1000 } });
        var page = await SignedInAsync(context, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        await ScreenshotOnFailureAsync(page, "reconcile", async () =>
        {
            await page.GotoAsync(Url("admin/queue"));
            await BrowserPages.WaitForCircuitAsync(page);
            var row = page.Locator($"#running [data-job='{job.Id}']");
            await Assertions.Expect(row).ToHaveAttributeAsync("data-status", JobStatus.Running);

            await row.Locator("a").ClickAsync();
            await Assertions.Expect(page.Locator("#job-facts")).ToHaveAttributeAsync("data-status", JobStatus.Running);
            // Asked first, with the reason required; going back does nothing.
            await page.ClickAsync("#reconcile-now");
            await Assertions.Expect(page.Locator(".mud-dialog #confirm-yes")).ToBeDisabledAsync();
            await page.ClickAsync("#confirm-no");
            await Assertions.Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);
            Assert.Equal(JobStatus.Running, (await Hub.GetJobAsync(job.Id)).Status);

            await page.ClickAsync("#reconcile-now");
            await ConfirmAsync(page, "webhook never came");
            await Assertions.Expect(page.Locator("#job-facts")).ToHaveAttributeAsync("data-status", JobStatus.Completed, new() { Timeout = 15000 });
            await Assertions.Expect(page.Locator("#events [data-cause='admin'][data-kind='transition']")).ToHaveCountAsync(1);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "admin-job.png"), FullPage = false });

            var audit = await Hub.QueryAsync<string>($"SELECT action || '|' || target || '|' || reason FROM admin_actions WHERE target = {job.Id.ToString()}");
            Assert.Equal($"reconcile|{job.Id}|webhook never came", Assert.Single(audit));
            await page.GotoAsync(Url("admin/actions"));
            await Assertions.Expect(page.Locator("#audit tr:has([data-action='reconcile'])").First).ToContainTextAsync("webhook never came");
        });
    }

    [Fact]
    public async Task Admin_RunsASweepNow_AndSeesItsRunRecorded_ThenPausesAndResumesIt()
    {
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        var page = await SignedInAsync(context, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        await ScreenshotOnFailureAsync(page, "maintenance", async () =>
        {
            await page.GotoAsync(Url("admin/maintenance"));
            await BrowserPages.WaitForCircuitAsync(page);
            var task = page.Locator("#tasks tr:has([data-task='orphaned-starting'])");
            await Assertions.Expect(page.Locator("#tasks tbody tr")).ToHaveCountAsync(7);

            await task.Locator(".run-now").ClickAsync();
            await ConfirmAsync(page, "checking the orphan sweep");
            await Assertions.Expect(page.Locator("#runs [data-trigger='manual']")).ToHaveCountAsync(1);
            await Assertions.Expect(task.Locator(".outcome")).ToContainTextAsync("concluída");

            await task.Locator(".pause").ClickAsync();
            await ConfirmAsync(page, "pausing for a test");
            await Assertions.Expect(task.Locator("[data-task]")).ToHaveAttributeAsync("data-paused", "true");
            await task.Locator(".pause").ClickAsync();
            await ConfirmAsync(page, "resuming after a test");
            await Assertions.Expect(task.Locator("[data-task]")).ToHaveAttributeAsync("data-paused", "false");
        });
        Assert.Equal(["run-task", "pause-task", "resume-task"],
            await Hub.QueryAsync<string>($"SELECT action FROM admin_actions WHERE target = 'orphaned-starting' ORDER BY id"));
    }

    [Fact]
    public async Task Admin_ReachesHangfiresDashboard_FromTheAdminNavigation_AndSeesEverySweepAsARecurringJob()
    {
        await Hub.Services.GetRequiredService<MaintenanceSchedule>().ApplyAsync();
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        var page = await SignedInAsync(context, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        await ScreenshotOnFailureAsync(page, "hangfire", async () =>
        {
            await page.GotoAsync(Url("admin"));
            await BrowserPages.WaitForCircuitAsync(page);
            await page.ClickAsync("#admin-hangfire");
            await page.WaitForURLAsync(url => url.Contains("/admin/hangfire"));
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("JobHub · Hangfire");

            var response = await page.GotoAsync(Url("admin/hangfire/recurring"));
            Assert.Equal(200, response!.Status);
            foreach (var key in Hub.Services.GetRequiredService<MaintenanceRunner>().Tasks.Select(t => t.Key))
            {
                await Assertions.Expect(page.Locator("table")).ToContainTextAsync(key);
            }
        });
    }

    [Fact]
    public async Task Admin_AdjustsAUsersCredits_WithAReason_AndSeesTheLedger()
    {
        var user = await Hub.CreateUserAsync(10);
        var email = await Hub.ScalarAsync<string>($"SELECT email FROM users WHERE id = {user}");
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        var page = await SignedInAsync(context, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        await ScreenshotOnFailureAsync(page, "credits", async () =>
        {
            await page.GotoAsync(Url("admin/users"));
            await BrowserPages.WaitForCircuitAsync(page);
            await page.FillAsync("#user-search", email[..10]);
            await page.ClickAsync("#user-search-apply");
            await page.Locator($"#user-list [data-user='{user}'] a").ClickAsync();

            // The reason is asked in the dialog, and required there; going back changes nothing.
            await page.FillAsync("#adjust-amount", "15");
            await page.ClickAsync("#adjust-submit");
            await Assertions.Expect(page.Locator(".mud-dialog #confirm-question")).ToContainTextAsync("+15");
            await Assertions.Expect(page.Locator(".mud-dialog #confirm-yes")).ToBeDisabledAsync();
            await page.ClickAsync("#confirm-no");
            Assert.Equal(10, await Hub.BalanceAsync(user));

            // An amount that is not one is refused before anything is asked; a value typed after a refusal is the one
            // applied or refused, never the earlier one.
            await page.FillAsync("#adjust-amount", "99999999999");
            await page.ClickAsync("#adjust-submit");
            await Assertions.Expect(page.Locator("#action-message")).ToContainTextAsync("100000");
            await page.FillAsync("#adjust-amount", "seven");
            await page.ClickAsync("#adjust-submit");
            await Assertions.Expect(page.Locator("#action-message")).ToContainTextAsync("não é um número inteiro");
            await Assertions.Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);
            Assert.Equal(10, await Hub.BalanceAsync(user));

            await page.FillAsync("#adjust-amount", "-50");
            await page.ClickAsync("#adjust-submit");
            await ConfirmAsync(page, "too much");
            await Assertions.Expect(page.Locator("#action-message")).ToHaveClassAsync("jobhub-error"); // never below zero
            Assert.Equal(10, await Hub.BalanceAsync(user));

            await page.FillAsync("#adjust-amount", "15");
            await page.ClickAsync("#adjust-submit");
            await ConfirmAsync(page, "goodwill after an outage");
            await Assertions.Expect(page.Locator("#user-balance")).ToContainTextAsync("25");
            await Assertions.Expect(page.Locator("#user-ledger tr:has([data-kind='adjustment'])")).ToContainTextAsync("goodwill after an outage");
        });
        Assert.Equal(25, await Hub.BalanceAsync(user));
        Assert.Equal(25, await Hub.ScalarAsync<int>($"SELECT sum(amount)::int FROM credit_ledger WHERE user_id = {user}"));
    }

    [Fact]
    public async Task Overview_ShowsSlotsStatesToolsCostsAndAccounts()
    {
        await Hub.SeedFinishedJobsAsync(); // a few days of them, for the tables and the chart
        await using var context = await (await Browser.GetAsync()).NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 1500 } });
        var page = await SignedInAsync(context, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        await ScreenshotOnFailureAsync(page, "overview", async () =>
        {
            await page.ClickAsync("#nav-admin");
            await BrowserPages.WaitForCircuitAsync(page);
            await Assertions.Expect(page.Locator("#slots")).ToContainTextAsync("/ 3");
            var failed = await Hub.ScalarAsync<int>($"SELECT count(*)::int FROM jobs WHERE status = 'failed'");
            await Assertions.Expect(page.Locator("#states tr[data-status='failed'] .count")).ToHaveTextAsync(failed.ToString());
            // Slots in use, free and the queue drawn as a ring; the jobs per state once, as figures.
            await Assertions.Expect(page.Locator("#slots-chart svg")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#states-chart")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByText("Trabalhos por estado", new() { Exact = true })).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#last-day tbody tr")).ToHaveCountAsync(4);
            await page.ClickAsync("#check-balances");
            await Assertions.Expect(page.Locator("#accounts tr:has([data-account='simulator']) .balance")).ToContainTextAsync("moedas");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "admin-overview.png") });
        });
    }

    [Fact]
    public async Task Admin_SeesTheInvariantChecker_ReportNoViolations_OnACorrectSystem_AndOneOnABrokenBalance()
    {
        // A host of its own: the shared one holds rows other tests forge.
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" },
            new SimulatorSettings { QueuedFor = TimeSpan.Zero, RunFor = TimeSpan.FromMilliseconds(300) });
        var job = await hub.SubmitAsync(await hub.CreateUserAsync());
        await hub.WaitForJobAsync(job.Id, j => j.Status == JobStatus.Completed);
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        await ScreenshotOnFailureAsync(page, "invariants", async () =>
        {
            await page.GotoAsync(new Uri(hub.BaseAddress, "admin/invariants").ToString());
            await BrowserPages.WaitForCircuitAsync(page);
            await Assertions.Expect(page.Locator("#no-violations")).ToBeVisibleAsync();

            await hub.ScalarAsync<int>($"UPDATE users SET credit_balance = credit_balance + 1 WHERE id = {job.UserId} RETURNING 1");
            await page.ClickAsync("#check-invariants");
            await Assertions.Expect(page.Locator("#violations [data-rule='R6']")).ToHaveCountAsync(1);
        });
    }
}
