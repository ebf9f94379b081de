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
}
