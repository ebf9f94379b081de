using System.Collections.Concurrent;
using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>
/// The Content-Security-Policy in Debian's Chromium: a person signs in, runs a tool to its result, opens History and the
/// job's page, switches the palette; an admin opens every admin page and Hangfire's dashboard. Not one policy violation.
/// </summary>
public sealed class ContentSecurityPolicyBrowserTests
{
    private const string CollectViolations = """
        window.__csp = [];
        document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));
        """;

    [Fact]
    public async Task TheMainPagesAndARunToItsResult_CauseNoPolicyViolation()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" },
            new SimulatorSettings { QueuedFor = TimeSpan.FromMilliseconds(200), RunFor = TimeSpan.FromMilliseconds(1500) });
        var browser = await Browser.GetAsync();
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 900 } });
        await context.AddInitScriptAsync(CollectViolations);
        var violations = new ConcurrentQueue<string>();
        context.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Enqueue($"console on {message.Page?.Url}: {message.Text}");
            }
        };

        async Task VisitAsync(IPage page, string path, bool interactive = true)
        {
            var response = await page.GotoAsync(new Uri(hub.BaseAddress, path).ToString());
            Assert.True(response!.Ok, $"{path}: {response.Status}");
            if (interactive)
            {
                await BrowserPages.WaitForCircuitAsync(page);
            }

            await CollectAsync(page);
        }

        async Task CollectAsync(IPage page)
        {
            await Task.Delay(300); // a violation is reported as an event after the page's work
            foreach (var seen in await page.EvaluateAsync<string[]>("() => window.__csp"))
            {
                violations.Enqueue($"{page.Url}: {seen}");
            }
        }

        var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
        await BrowserPages.WaitForCircuitAsync(page);
        await CollectAsync(page);
        await page.ClickAsync("#theme-toggle");
        await CollectAsync(page);

        await VisitAsync(page, "tools/pose-changer");
        var shade = 0;
        foreach (var input in new[] { "person", "pose" })
        {
            await page.Locator($"#input-{input}").SetInputFilesAsync(new FilePayload { Name = $"{input}.png", MimeType = "image/png", Buffer = SampleMedia.Png(320, 240, ++shade) });
        }

        await page.ClickAsync("#run");
        await Assertions.Expect(page.Locator("#job")).ToHaveAttributeAsync("data-status", JobStatus.Completed, new() { Timeout = 30000 });
        var jobId = Guid.Parse((await page.Locator("#job").GetAttributeAsync("data-job"))!);
        await hub.WaitForJobAsync(jobId, j => j.OutputsCopiedAt is not null, TimeSpan.FromSeconds(30));
        await Assertions.Expect(page.Locator("#result img").Last).ToBeVisibleAsync(new() { Timeout = 20000 });
        await page.ClickAsync("#zoom-in");
        await CollectAsync(page);

        await VisitAsync(page, "history");
        await VisitAsync(page, $"jobs/{jobId}");
        await VisitAsync(page, $"files/jobs/{jobId}/outputs/0", interactive: false);

        await using var adminContext = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 900 } });
        await adminContext.AddInitScriptAsync(CollectViolations);
        adminContext.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("Refused to", StringComparison.Ordinal))
            {
                violations.Enqueue($"console on {message.Page?.Url}: {message.Text}");
            }
        };
        var admin = await BrowserPages.SignedInAsync(adminContext, hub.BaseAddress, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        foreach (var path in new[] { "admin", "admin/queue", "admin/jobs", $"admin/jobs/{jobId}", "admin/failures", "admin/maintenance", "admin/users" })
        {
            await VisitAsync(admin, path);
        }

        await VisitAsync(admin, "admin/hangfire", interactive: false);
        await VisitAsync(admin, "account/login", interactive: false);

        Assert.Empty(violations);
    }
}
