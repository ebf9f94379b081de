using Microsoft.Playwright;

namespace JobHub.Tests.Infrastructure;

/// <summary>One headless Debian Chromium per test run, driven by Playwright (never a downloaded browser).</summary>
public static class Browser
{
    private static readonly Lazy<Task<IBrowser>> Instance = new(LaunchAsync);

    public const string ChromiumPath = "/usr/bin/chromium";

    public static Task<IBrowser> GetAsync() => Instance.Value;

    public static string ScreenshotFolder
    {
        get
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    private static async Task<IBrowser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run the suite with ./jobhub test, which installs Debian's chromium.");
        }

        var playwright = await Playwright.CreateAsync();
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }
}
