using JobHub.Core.Jobs;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>
/// A deploy through nginx with two instances: a running and a queued person; 0 gets SIGTERM, later 1 is killed and 0 comes
/// back; both pages follow their jobs to the end, nothing lost or charged twice, the dialog in the page's language.
/// </summary>
public sealed class DeployBrowserTests
{
    private static async Task<string> RunAsync(IPage page, Uri baseAddress, string status)
    {
        await page.GotoAsync(new Uri(baseAddress, "tools/image-upscaler").ToString());
        await BrowserPages.WaitForCircuitAsync(page);
        await page.Locator("#input-image").SetInputFilesAsync(new FilePayload { Name = "photo.png", MimeType = "image/png", Buffer = SampleMedia.Png(320, 240, 2) });
        await Assertions.Expect(page.Locator("#drop-image[data-upload='stored']")).ToBeVisibleAsync();
        await page.ClickAsync("#run");
        await Assertions.Expect(page.Locator($"#job[data-status='{status}']")).ToBeVisibleAsync(new() { Timeout = 30000 });
        return (await page.Locator("#job").GetAttributeAsync("data-job"))!;
    }

    /// <summary>The reconnect dialog, whether shown or not, speaks the page's language.</summary>
    private static async Task AssertDialogInThePagesLanguageAsync(IPage page)
    {
        var language = await page.Locator("html").GetAttributeAsync("lang");
        var rejoining = language?.StartsWith("pt", StringComparison.Ordinal) == true ? "Reconectando ao servidor" : "Rejoining the server";
        Assert.Contains(rejoining, await page.Locator("#components-reconnect-modal").TextContentAsync());
    }

    [Fact]
    public async Task StopOneInstance_ThenKillTheOther_BothPagesFollowTheirJobsToTheEnd_NothingLostOrChargedTwice()
    {
        await using var hub = await ProxiedJobHub.StartAsync(2, new Dictionary<string, string?> { ["JobHub:MaxConcurrent"] = "1" },
            new SimulatorSettings { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMinutes(10) });
        var emails = await hub.CreateUsersAsync(2, 100);
        await using var onFirst = await hub.NewBrowserContextOnAsync(0);
        await using var onSecond = await hub.NewBrowserContextOnAsync(1);
        var runner = await BrowserPages.SignedInAsync(onFirst, hub.BaseAddress, emails[0], ProxiedJobHub.Password);
        var waiter = await BrowserPages.SignedInAsync(onSecond, hub.BaseAddress, emails[1], ProxiedJobHub.Password);
        try
        {
            var running = await RunAsync(runner, hub.BaseAddress, JobStatus.Running);
            var queued = await RunAsync(waiter, hub.BaseAddress, JobStatus.Queued);

            // A deploy stops instance 0: its page carries on at instance 1, on the same document, following the same job.
            await runner.EvaluateAsync("() => window.sameDocument = true");
            Assert.Equal(0, await hub.Instances[0].TerminateAsync(TimeSpan.FromSeconds(90)));
            await runner.WaitForFunctionAsync("() => !window.jobhub.moving && document.body.dataset.circuit === 'on'", null, new() { Timeout = 30000 });
            Assert.True(await runner.EvaluateAsync<bool>("() => window.sameDocument === true"));
            await Assertions.Expect(runner.Locator($"#job[data-job='{running}'][data-status='running']")).ToBeVisibleAsync();
            await Assertions.Expect(waiter.Locator($"#job[data-job='{queued}'][data-status='queued']")).ToBeVisibleAsync();

            // Instance 1 dies; 0 comes back: both pages (on 1 now) fail to rejoin and reload there, to the same view.
            await waiter.EvaluateAsync("() => window.sameDocument = true");
            hub.Instances[1].Kill();
            await hub.Instances[0].StartAsync();
            foreach (var page in new[] { runner, waiter })
            {
                await page.WaitForFunctionAsync("() => window.sameDocument !== true && document.body.dataset.circuit === 'on'", null, new() { Timeout = 90000 });
            }

            await Assertions.Expect(runner.Locator($"#job[data-job='{running}'][data-status='running']")).ToBeVisibleAsync();
            await Assertions.Expect(waiter.Locator($"#job[data-job='{queued}'][data-status='queued']")).ToBeVisibleAsync();
            hub.Simulator.Settings = hub.Simulator.Settings with { RunFor = TimeSpan.FromMilliseconds(500) };

            await Assertions.Expect(runner.Locator($"#job[data-job='{running}'][data-status='completed']")).ToBeVisibleAsync(new() { Timeout = 90000 });
            await Assertions.Expect(waiter.Locator($"#job[data-job='{queued}'][data-status='completed']")).ToBeVisibleAsync(new() { Timeout = 90000 });
            await AssertDialogInThePagesLanguageAsync(runner);
            await AssertDialogInThePagesLanguageAsync(waiter);
            Assert.Equal(2L, await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
            Assert.Equal(2L, await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE status = 'completed'"));
            Assert.Equal(2L, await hub.ScalarAsync<long>($"SELECT count(*) FROM credit_ledger WHERE kind = 'debit'"));
            Assert.Equal(0L, await hub.ScalarAsync<long>($"SELECT count(*) FROM credit_ledger WHERE kind = 'refund'"));
            Assert.Equal(2L, (long)hub.Simulator.StartCalls);
            Assert.Empty(await JobHubProcesses.CheckInvariantsAsync(TestDatabase.ConnectionStringFor(hub.Database)));
        }
        catch
        {
            await runner.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "deploy-runner.png"), FullPage = true });
            await waiter.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "deploy-waiter.png"), FullPage = true });
            throw;
        }
    }
}
