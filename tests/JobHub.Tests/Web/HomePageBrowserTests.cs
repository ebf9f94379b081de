using JobHub.Core.Accounts;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

public sealed class HomePageBrowserTests
{
    [Fact]
    public async Task HomePage_RendersWithRadzenStyles_ListsTheTools_AndFollowsTheActiveJobLive()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" },
            new SimulatorSettings { RunFor = TimeSpan.FromSeconds(3) });
        var browser = await Browser.GetAsync();
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console: {message.Text}"); };
        page.Response += (_, response) => { if (response.Status >= 400) problems.Add($"{response.Status} {response.Url}"); };

        var response = await page.GotoAsync(hub.BaseAddress.ToString());
        Assert.True(response!.Ok);
        try
        {
            await page.WaitForFunctionAsync(
                "() => [...document.styleSheets].some(s => (s.href || '').includes('Radzen.Blazor/css/') && s.cssRules.length > 0)",
                null, new() { Timeout = 20000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail("the Radzen stylesheet did not load: " + string.Join("; ", problems));
        }

        await Assertions.Expect(page.Locator(".jobhub-tool-card")).ToHaveCountAsync(4);
        var trail = new List<string>();
        page.Console += (_, message) => trail.Add($"console {message.Type}: {message.Text}");
        page.FrameNavigated += (_, frame) => { if (frame == page.MainFrame) trail.Add($"navigated {frame.Url}"); };
        page.Request += (_, request) => trail.Add($"request {request.Method} {request.Url}");
        trail.Add("circuit=" + await page.EvaluateAsync<string>("() => document.body.dataset.circuit || 'off'"));
        await page.ClickAsync("#home-login");
        try
        {
            await page.Locator("#email").WaitForAsync(new() { Timeout = 15000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"DIAG1 url={page.Url} circuit={await page.EvaluateAsync<string>("() => document.body.dataset.circuit || 'off'")} trail={string.Join(" | ", trail)}");
        }

        await page.FillAsync("#email", DemoAccounts.UserEmail);
        await page.FillAsync("#password", DemoAccounts.UserPassword);
        await page.ClickAsync("#login-submit");
        try
        {
            await page.WaitForURLAsync(hub.BaseAddress.ToString());
        }
        catch (TimeoutException)
        {
            Assert.Fail($"DIAG2 url={page.Url} body={await page.InnerTextAsync("body")} problems={string.Join("; ", problems)} trail={string.Join(" | ", trail)}");
        }
        await BrowserPages.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("#balance")).ToContainTextAsync("20");

        // A job started elsewhere (another tab) appears here without a reload, and leaves when it ends.
        var demo = await hub.ScalarAsync<Guid>("SELECT id FROM users WHERE normalized_email = upper(@email)", new { email = DemoAccounts.UserEmail });
        await hub.SubmitAsync(demo);
        await Assertions.Expect(page.Locator("#active-job")).ToBeVisibleAsync(new() { Timeout = 15000 });
        await Assertions.Expect(page.Locator("#balance")).ToContainTextAsync("17");
        await Assertions.Expect(page.Locator("#active-job")).ToHaveCountAsync(0, new() { Timeout = 20000 });
        Assert.Empty(problems);
    }
}
