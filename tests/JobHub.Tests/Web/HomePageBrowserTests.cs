using JobHub.Core.Accounts;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

public sealed class HomePageBrowserTests
{
    [Fact]
    public async Task HomePage_RendersWithMudBlazorStyles_ListsTheTools_AndFollowsTheActiveJobLive()
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
                "() => [...document.styleSheets].some(s => (s.href || '').includes('_content/MudBlazor/') && s.cssRules.length > 0)",
                null, new() { Timeout = 20000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail("the MudBlazor stylesheet did not load: " + string.Join("; ", problems));
        }

        await Assertions.Expect(page.Locator(".jobhub-tool-card")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("header.mud-appbar")).ToBeVisibleAsync();
        await page.ClickAsync("#home-login");
        await page.FillAsync("#email", DemoAccounts.UserEmail);
        await page.FillAsync("#password", DemoAccounts.UserPassword);
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(hub.BaseAddress.ToString());
        await BrowserPages.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("#balance")).ToContainTextAsync("20");

        // A job started elsewhere (another tab) appears here without a reload, and leaves when it ends.
        var demo = await hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({DemoAccounts.UserEmail})");
        await hub.SubmitAsync(demo);
        await Assertions.Expect(page.Locator("#active-job")).ToBeVisibleAsync(new() { Timeout = 15000 });
        await Assertions.Expect(page.Locator("#balance")).ToContainTextAsync("17");
        await Assertions.Expect(page.Locator("#active-job")).ToHaveCountAsync(0, new() { Timeout = 20000 });
        Assert.Empty(problems);
    }

    [Fact]
    public async Task SignInLink_LoadsTheSignInPageAsANewDocument_EvenWhileTheCircuitIsStillConnecting()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" });
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        var page = await context.NewPageAsync();
        await using (await CircuitHeldBackAsync(page, hub))
        {
            await page.ClickAsync("#home-login");

            await page.Locator("#email").WaitForAsync(new() { Timeout = 15000 });
            Assert.False(await SameDocumentAsync(page), "the sign-in page was patched into the old document");
            await page.FillAsync("#email", DemoAccounts.UserEmail);
            await page.FillAsync("#password", DemoAccounts.UserPassword);
            await page.ClickAsync("#login-submit");
            await page.WaitForURLAsync(hub.BaseAddress.ToString());
        }
    }

    [Fact]
    public async Task ThePalette_FollowsTheSystemAtFirst_SwitchesLive_AndIsRememberedOnEveryPage()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" });
        await using var context = await (await Browser.GetAsync()).NewContextAsync(new() { ColorScheme = ColorScheme.Dark });
        var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
        await BrowserPages.WaitForCircuitAsync(page);
        var html = page.Locator("html");
        const string Background = "() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-background').trim()";
        await Assertions.Expect(html).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("jobhub-dark"));
        var dark = await page.EvaluateAsync<string>(Background);

        await Assertions.Expect(page.Locator("#theme-toggle")).ToHaveAttributeAsync("aria-label", "Tema claro");

        await page.ClickAsync("#theme-toggle");

        await Assertions.Expect(html).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("jobhub-dark"));
        Assert.NotEqual(dark, await page.EvaluateAsync<string>(Background));
        await Assertions.Expect(page.Locator("#theme-toggle")).ToHaveAttributeAsync("aria-label", "Tema escuro");
        await page.GotoAsync(new Uri(hub.BaseAddress, "history").ToString());
        await BrowserPages.WaitForCircuitAsync(page);
        await Assertions.Expect(html).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("jobhub-dark"));
        await page.GotoAsync(new Uri(hub.BaseAddress, "account/login").ToString()); // a static page
        await Assertions.Expect(html).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("jobhub-dark"));
    }

    [Theory]
    [InlineData(1280, false)]
    [InlineData(360, true)]
    public async Task TheDrawer_IsBesideThePageOnADesktop_AndOverItOnAPhone(int width, bool phone)
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" });
        await using var context = await (await Browser.GetAsync()).NewContextAsync(new() { ViewportSize = new() { Width = width, Height = 800 }, IsMobile = phone });
        var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
        await BrowserPages.WaitForCircuitAsync(page);
        var drawer = page.Locator("#nav-drawer");
        var toggle = page.Locator("#nav-toggle");
        var scrim = page.Locator(".jobhub-nav-scrim");
        const string ContentLeft = "() => document.querySelector('.mud-main-content').getBoundingClientRect().left";

        if (phone)
        {
            // Below MudBlazor's md breakpoint the page has the whole width and the drawer waits for the menu button.
            await Assertions.Expect(drawer).Not.ToBeVisibleAsync();
            await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "false");
            Assert.Equal(0, await page.EvaluateAsync<double>(ContentLeft));

            await toggle.ClickAsync();
            await Assertions.Expect(drawer).ToBeVisibleAsync();
            await Assertions.Expect(scrim).ToBeVisibleAsync();
            await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
            Assert.Equal(0, await page.EvaluateAsync<double>(ContentLeft)); // over the page, not beside it

            await page.Keyboard.PressAsync("Escape");
            await Assertions.Expect(drawer).Not.ToBeVisibleAsync();
            await toggle.ClickAsync();
            await page.ClickAsync("#nav-history"); // a link takes the person to its page and closes the drawer
            await page.WaitForURLAsync(new Uri(hub.BaseAddress, "history").ToString());
            await Assertions.Expect(drawer).Not.ToBeVisibleAsync();
            await Assertions.Expect(scrim).Not.ToBeVisibleAsync();
        }
        else
        {
            await Assertions.Expect(drawer).ToBeVisibleAsync();
            await Assertions.Expect(scrim).Not.ToBeVisibleAsync();
            await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
            var besideDrawer = await page.EvaluateAsync<double>(ContentLeft);
            Assert.True(besideDrawer >= 200, $"the page starts at {besideDrawer} px, under the drawer");

            await toggle.ClickAsync();
            await Assertions.Expect(drawer).Not.ToBeVisibleAsync();
            await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "false");
            await page.WaitForFunctionAsync($"() => ({ContentLeft})() === 0");

            await toggle.ClickAsync();
            await Assertions.Expect(drawer).ToBeVisibleAsync();
            await page.ClickAsync("#nav-history");
            await page.WaitForURLAsync(new Uri(hub.BaseAddress, "history").ToString());
            await Assertions.Expect(drawer).ToBeVisibleAsync(); // beside the page, it stays
        }

        await Assertions.Expect(page.Locator("#nav-history")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bactive\b"));
        await Assertions.Expect(page.Locator("#nav-tools")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bactive\b"));
    }

    [Fact]
    public async Task AnyLinkClickedBeforeTheCircuitIsUp_LoadsItsPageAsANewDocument()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" });
        await using var context = await (await Browser.GetAsync()).NewContextAsync();
        var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        await using (await CircuitHeldBackAsync(page, hub))
        {
            await page.ClickAsync("#nav-admin");

            await page.WaitForURLAsync(new Uri(hub.BaseAddress, "admin").ToString(), new() { Timeout = 15000 });
            await page.Locator("#slots").WaitForAsync(new() { Timeout = 15000 });
            Assert.False(await SameDocumentAsync(page), "the page was patched into the old document");
        }
    }

    /// <summary>
    /// Opens the home page with its circuit held back (the negotiation waits until disposed): the moment when a quick click
    /// could reach Blazor's navigation rather than the browser's. The document is marked, so a test can tell a new one.
    /// </summary>
    private static async Task<IAsyncDisposable> CircuitHeldBackAsync(IPage page, LiveJobHub hub)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/_blazor/negotiate**", async route =>
        {
            await release.Task;
            await route.ContinueAsync();
        });
        await page.GotoAsync(hub.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined");
        await page.EvaluateAsync("() => { window.sameDocument = true; }");
        return new Release(release);
    }

    private static Task<bool> SameDocumentAsync(IPage page) => page.EvaluateAsync<bool>("() => window.sameDocument === true");

    private sealed class Release(TaskCompletionSource release) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            release.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}
