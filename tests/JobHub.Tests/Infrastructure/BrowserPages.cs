using Microsoft.Playwright;

namespace JobHub.Tests.Infrastructure;

public static class BrowserPages
{
    /// <summary>
    /// Waits until the page's interactive circuit is connected, so that clicks reach the server
    /// rather than the prerendered markup. The layout marks the body once the circuit has rendered.
    /// </summary>
    public static Task WaitForCircuitAsync(IPage page, float timeoutMs = 20000) =>
        page.Locator("body[data-circuit='on']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = timeoutMs });

    /// <summary>Opens a new page in <paramref name="context"/>, signs in through the sign-in form and waits for the home page.</summary>
    public static async Task<IPage> SignedInAsync(IBrowserContext context, Uri baseAddress, string email, string password)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(baseAddress, "account/login").ToString());
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(baseAddress.ToString());
        return page;
    }

    /// <summary>Signs up on <paramref name="page"/> (the page says a mail was sent and signs nobody in), then signs in there.</summary>
    public static async Task SignUpAndSignInAsync(IPage page, Uri baseAddress, string email, string password)
    {
        await page.GotoAsync(new Uri(baseAddress, "account/register").ToString());
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.FillAsync("#confirm", password);
        await page.ClickAsync("#register-submit");
        await Assertions.Expect(page.Locator("#register-sent")).ToContainTextAsync(email);
        await page.GotoAsync(new Uri(baseAddress, "account/login").ToString());
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(baseAddress.ToString());
    }
}
