using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>
/// The screenshots of docs/pages.md (and the README's), taken at a desktop's width (1280 px) and a phone's (360 px): a tool page with a queued job,
/// a finished image job with its comparison, History and the admin overview (with a few days of jobs in it). At each width
/// every one of these pages must fit: nothing wider than the window (a table stacks its rows or scrolls inside its own box).
/// </summary>
public sealed class ScreenshotTests
{
    private static readonly SimulatorSettings Quick = new() { QueuedFor = TimeSpan.FromMilliseconds(200), RunFor = TimeSpan.FromSeconds(6) };

    public static readonly TheoryData<int, int> Widths = new() { { 1280, 900 }, { 360, 740 } };

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task TheMainPages_FitTheWindow_AndAreShotForTheReadme(int width, int height)
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?>
        {
            ["JobHub:SeedDemoUsers"] = "true",
            ["JobHub:MaxConcurrent"] = "1",
        }, Quick);

        var browser = await Browser.GetAsync();
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, IsMobile = width < 600 });
        var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
        try
        {
            await page.GotoAsync(new Uri(hub.BaseAddress, "tools/pose-changer").ToString());
            await BrowserPages.WaitForCircuitAsync(page);
            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "person.png", MimeType = "image/png", Buffer = SampleMedia.Png(480, 640, 1) });
            await page.Locator("#input-pose").SetInputFilesAsync(new FilePayload { Name = "pose.png", MimeType = "image/png", Buffer = SampleMedia.Png(480, 640, 2) });
            await Assertions.Expect(page.Locator("#preview-pose")).ToBeVisibleAsync();
            var blocker = await hub.SubmitAsync(await hub.CreateUserAsync()); // someone else's job holds the only slot for a while
            await hub.WaitForJobAsync(blocker.Id, j => j.Status == JobStatus.Running);
            await page.ClickAsync("#run");
            await Assertions.Expect(page.Locator("#job")).ToHaveAttributeAsync("data-status", JobStatus.Queued, new() { Timeout = 30000 });
            await ShootAsync(page, "tool-queued", width);

            await Assertions.Expect(page.Locator("#job")).ToHaveAttributeAsync("data-status", JobStatus.Completed, new() { Timeout = 30000 });
            await Assertions.Expect(page.Locator("#compare-box")).ToBeVisibleAsync();
            await ShootAsync(page, "tool-result", width);

            await page.GotoAsync(new Uri(hub.BaseAddress, "history").ToString());
            await BrowserPages.WaitForCircuitAsync(page);
            await Assertions.Expect(page.Locator("#jobs .job-link")).ToHaveCountAsync(1);
            await ShootAsync(page, "history", width);

            // The overview as a working week leaves it, measured with its rows and charts full: a few days of finished jobs,
            // one running and one waiting.
            await hub.SeedFinishedJobsAsync();
            hub.Simulator.Settings = hub.Simulator.Settings with { RunFor = TimeSpan.FromMinutes(10) };
            var running = await hub.SubmitAsync(await hub.CreateUserAsync());
            await hub.WaitForJobAsync(running.Id, j => j.Status == JobStatus.Running);
            await hub.SubmitAsync(await hub.CreateUserAsync());
            var admin = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
            await admin.GotoAsync(new Uri(hub.BaseAddress, "admin").ToString());
            await BrowserPages.WaitForCircuitAsync(admin);
            await Assertions.Expect(admin.Locator("#slots")).ToHaveTextAsync("1 / 1");
            await Assertions.Expect(admin.Locator("#queue-length")).ToHaveTextAsync("1");
            await Assertions.Expect(admin.Locator("#slots-chart svg")).ToBeVisibleAsync();
            await Assertions.Expect(admin.Locator("#states tbody tr")).ToHaveCountAsync(5); // completed, failed, cancelled, running, queued
            await Assertions.Expect(admin.Locator("#last-day tbody tr")).ToHaveCountAsync(4); // every tool
            await Assertions.Expect(admin.Locator("#cost-chart svg")).ToBeVisibleAsync();
            await ShootAsync(admin, "admin-overview", width);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, $"screenshots-failed-{width}.png"), FullPage = true });
            throw;
        }
    }

    /// <summary>Checks that nothing on the page is wider than the window, then keeps its screenshot (top of the page).</summary>
    private static async Task ShootAsync(IPage page, string name, int width)
    {
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"{name} at {width} px is {overflow} px wider than the window");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, $"{name}-{width}.png") });
    }
}
