using JobHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

public sealed class HomePageBrowserTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task HomePage_RendersWithRadzenStyles_AndIsInteractive()
    {
        await using var host = await KestrelJobHub.StartAsync(db.ConnectionString);
        var browser = await Browser.GetAsync();
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console: {message.Text}"); };
        page.Response += (_, response) => { if (response.Status >= 400) problems.Add($"{response.Status} {response.Url}"); };

        var response = await page.GotoAsync(host.BaseAddress.ToString());
        Assert.True(response!.Ok);

        // The Radzen theme is loaded: its stylesheet answered and has rules.
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

        // The circuit is live: a click changes the page.
        await BrowserPages.WaitForCircuitAsync(page);
        var button = page.Locator("#ping");
        await button.ClickAsync();
        await Assertions.Expect(button).ToContainTextAsync("1", new() { Timeout = 15000 });
        Assert.Empty(problems);
    }
}
