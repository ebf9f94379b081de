using System.Security.Claims;
using JobHub.Core.Accounts;
using JobHub.Core.Admin;
using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace JobHub.Tests.Admin;

/// <summary>
/// One JobHub with rows on every admin page, as a working day leaves them: a job failed by RunningHub, one completed, one
/// running and one waiting behind it, one cancelled by an admin, a credit adjustment, sweeps run by hand (each action
/// in the audit log), webhook deliveries and events; and an admin signed in once, whose cookies each page's context reuses.
/// </summary>
public sealed class AdminRowsFixture : IAsyncLifetime
{
    public LiveJobHub Hub { get; private set; } = null!;
    public Guid DemoUser { get; private set; }
    public Guid FailedJob { get; private set; }
    public Guid CompletedJob { get; private set; }
    private string adminState = "";
    private string userState = "";

    public async Task InitializeAsync()
    {
        Hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true", ["JobHub:MaxConcurrent"] = "1" },
            new SimulatorSettings { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMilliseconds(300), FailureRate = 1 });
        DemoUser = await Hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({DemoAccounts.UserEmail})");
        var adminId = await Hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({DemoAccounts.AdminEmail})");
        var admin = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, adminId.ToString()), new Claim(ClaimTypes.Role, Roles.Admin), new Claim(ClaimTypes.Email, DemoAccounts.AdminEmail)], "test"));
        var actions = Hub.Services.GetRequiredService<AdminActions>();

        FailedJob = (await Hub.SubmitAsync(DemoUser)).Id;
        Assert.Equal(JobStatus.Failed, (await Hub.WaitForJobAsync(FailedJob, j => j.Status == JobStatus.Failed)).Status);
        Hub.Simulator.Settings = Hub.Simulator.Settings with { FailureRate = 0 };
        CompletedJob = (await Hub.SubmitAsync(DemoUser, "image-upscaler")).Id;
        Assert.Equal(JobStatus.Completed, (await Hub.WaitForJobAsync(CompletedJob, j => j.Status == JobStatus.Completed)).Status);
        Hub.Simulator.Settings = Hub.Simulator.Settings with { RunFor = TimeSpan.FromHours(1) };
        var running = (await Hub.SubmitAsync(await Hub.CreateUserAsync())).Id;
        Assert.Equal(JobStatus.Running, (await Hub.WaitForJobAsync(running, j => j.Status == JobStatus.Running)).Status);
        await Hub.SubmitAsync(await Hub.CreateUserAsync(), "virtual-try-on"); // waits behind it
        var cancelled = (await Hub.SubmitAsync(await Hub.CreateUserAsync())).Id;
        Assert.True((await actions.CancelAsync(admin, cancelled, "the person asked us by e-mail to stop it")).Succeeded);
        Assert.True((await actions.AdjustCreditsAsync(admin, DemoUser, 5, "goodwill after the failed job")).Succeeded);
        Assert.True((await actions.RunTaskNowAsync(admin, MaintenanceTaskKeys.PromoteQueue, "checking the queue by hand")).Succeeded);
        Assert.True((await actions.RunTaskNowAsync(admin, MaintenanceTaskKeys.Retention, "freeing disk space before a demo")).Succeeded);

        adminState = await SignedInStateAsync(DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        userState = await SignedInStateAsync(DemoAccounts.UserEmail, DemoAccounts.UserPassword);
    }

    private async Task<string> SignedInStateAsync(string email, string password)
    {
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        await BrowserPages.SignedInAsync(context, Hub.BaseAddress, email, password);
        return await context.StorageStateAsync();
    }

    /// <summary>A page of the signed-in admin in a window <paramref name="width"/> wide, in <paramref name="culture"/>.</summary>
    public Task<(IBrowserContext Context, IPage Page)> AdminPageAsync(string culture, int width) => PageAsync("admin", culture, width);

    /// <summary>
    /// A page of <paramref name="role"/> ("anonymous", "user" or "admin") in a window <paramref name="width"/> wide, in
    /// <paramref name="culture"/>; <paramref name="bypassCsp"/> lets a test add a script of its own (axe-core).
    /// </summary>
    public async Task<(IBrowserContext Context, IPage Page)> PageAsync(string role, string culture, int width, bool bypassCsp = false)
    {
        var context = await (await Browser.GetAsync()).NewContextAsync(new()
        {
            StorageState = role switch { "admin" => adminState, "user" => userState, _ => null },
            ViewportSize = new() { Width = width, Height = 800 },
            IsMobile = width < 600,
            BypassCSP = bypassCsp,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(Hub.BaseAddress, $"account/culture?culture={culture}&returnUrl=%2F").ToString());
        return (context, page);
    }

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>
/// The admin pages with rows in them: each on a 360 px phone, in both languages, nothing wider than the window (tables
/// stack their rows); the events of a job never squeezed to a letter a line at any width; the job search's labelled fields.
/// </summary>
public sealed class AdminPagesWithRowsTests(AdminRowsFixture fixture) : IClassFixture<AdminRowsFixture>
{
    /// <summary>Each page, the rows it must show before it is measured, and what to click first (empty: nothing).</summary>
    internal static readonly (string Path, string Rows, string Click)[] AdminPages =
    [
        ("admin", "#states tbody tr, #last-day tbody tr, #accounts tbody tr", ""),
        ("admin/queue", "#running tbody tr, #queued tbody tr", ""),
        ("admin/jobs", "#job-list tbody tr", ""),
        ("admin/jobs?status=failed&error=runninghub", "#job-list tbody tr", ""),
        ("admin/jobs/{failed}", "#events tbody tr, #deliveries tbody tr, #job-credits tbody tr", ""),
        ("admin/failures", "#failure-groups tbody tr", ""),
        ("admin/maintenance", "#tasks tbody tr, #runs tbody tr", $"#tasks tr:has([data-task='{MaintenanceTaskKeys.PromoteQueue}']) .history"),
        ("admin/users", "#user-list tbody tr", ""),
        ("admin/users/{demo}", "#user-ledger tbody tr", ""),
        ("admin/actions", "#audit tbody tr", ""),
        ("admin/invariants", "#no-violations", ""),
    ];

    public static TheoryData<string, string> Pages()
    {
        var data = new TheoryData<string, string>();
        foreach (var culture in new[] { "pt-BR", "en" })
        {
            foreach (var page in AdminPages)
            {
                data.Add(culture, page.Path);
            }
        }

        return data;
    }

    private string Url(string path) => new Uri(fixture.Hub.BaseAddress,
        path.Replace("{failed}", fixture.FailedJob.ToString()).Replace("{demo}", fixture.DemoUser.ToString())).ToString();

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task AdminPage_FitsAPhone_WithItsRows(string culture, string path)
    {
        var (_, rows, click) = AdminPages.Single(p => p.Path == path);
        var (context, page) = await fixture.AdminPageAsync(culture, 360);
        await using var _ = context;
        var name = $"admin-360-{culture}-{string.Join('-', path.Replace("{failed}", "job").Replace("{demo}", "user").Split('/', '?', '&', '='))}";
        try
        {
            await page.GotoAsync(Url(path));
            await BrowserPages.WaitForCircuitAsync(page);
            Assert.Equal(culture, await page.Locator("html").GetAttributeAsync("lang"));
            if (click.Length > 0)
            {
                await page.Locator(click).ClickAsync();
            }

            foreach (var list in rows.Split(", "))
            {
                await Assertions.Expect(page.Locator(list).First).ToBeVisibleAsync();
            }

            var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            Assert.True(width <= 360, $"{path} in {culture} is {width} px wide on a 360 px phone");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, name + ".png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, name + "-failed.png"), FullPage = true });
            throw;
        }
    }

    [Theory]
    [InlineData(360)]
    [InlineData(800)]
    [InlineData(1280)]
    public async Task TheEventsOfAJob_AreNeverSqueezedToALetterALine(int width)
    {
        var (context, page) = await fixture.AdminPageAsync("pt-BR", width);
        await using var _ = context;
        await page.GotoAsync(Url("admin/jobs/{failed}"));
        await BrowserPages.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("#events tbody tr").First).ToBeVisibleAsync();

        // Each cell is wide enough for a word or two, whatever the width of the window.
        var cells = await page.EvaluateAsync<double[]>("() => [...document.querySelectorAll('#events tbody td')].map(td => td.getBoundingClientRect().width)");
        Assert.NotEmpty(cells);
        Assert.True(cells.Min() >= 72, $"at {width} px an event's cell is {cells.Min():0} px wide");
        var messages = await page.EvaluateAsync<double[]>("() => [...document.querySelectorAll('#events tbody td.message')].map(td => td.getBoundingClientRect().width)");
        Assert.True(messages.Min() >= 140, $"at {width} px an event's message is {messages.Min():0} px wide");
        var data = await page.EvaluateAsync<double[]>("() => [...document.querySelectorAll('#events tbody td .jobhub-fields')].map(dl => dl.getBoundingClientRect().width)");
        Assert.True(data.Min() >= 150, $"at {width} px an event's data is {data.Min():0} px wide");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, $"admin-job-events-{width}.png"), FullPage = true });
    }

    [Fact]
    public async Task TheJobSearch_HasALabelOnEveryField_AndFindsAnErrorByTheStartOfWhatTheListShows()
    {
        var (context, page) = await fixture.AdminPageAsync("pt-BR", 1280);
        await using var _ = context;
        await page.GotoAsync(Url("admin/jobs"));
        await BrowserPages.WaitForCircuitAsync(page);
        foreach (var label in new[] { "Estado", "Ferramenta", "E-mail do usuário", "Erro: código ou mensagem", "Criado a partir de", "Criado até" })
        {
            await Assertions.Expect(page.Locator("#job-filters").GetByLabel(label, new() { Exact = true })).ToHaveCountAsync(1);
        }

        await page.Locator("#job-filters").GetByLabel("Estado", new() { Exact = true }).ClickAsync();
        await page.Locator(".mud-popover-open").GetByText("Falhou", new() { Exact = true }).ClickAsync();
        await page.Locator("#job-filters").GetByLabel("Erro: código ou mensagem", new() { Exact = true }).FillAsync("runninghub_error 8");
        await page.ClickAsync("#filter-apply");

        await page.WaitForURLAsync(url => url.Contains("status=failed") && url.Contains("error=runninghub_error%208"));
        await Assertions.Expect(page.Locator("#job-list tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator($"#job-list [data-job='{fixture.FailedJob}']")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "admin-job-search-1280.png") });
    }
}
