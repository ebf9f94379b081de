using System.Text.Json;
using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using JobHub.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace JobHub.Bench.Load;

/// <summary>
/// A few people in real Chromium pages (the browser path), running the pose changer over and over while the HTTP users
/// load the system. Measured: a job's change committed (its event in the database) → the page showing it, from a
/// MutationObserver on the job card's <c>data-status</c> in the page and the event's time (one machine, one clock).
/// </summary>
public static class BrowserUsers
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private const string RecordStatusChanges = """
        window.__jobhubChanges = [];
        new MutationObserver(() => {
          const card = document.querySelector('#job');
          const status = card && card.getAttribute('data-status');
          const job = card && card.getAttribute('data-job');
          const last = window.__jobhubChanges[window.__jobhubChanges.length - 1];
          if (status && (!last || last.status !== status || last.job !== job)) {
            window.__jobhubChanges.push({ job, status, at: Date.now() });
          }
        }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
        """;

    /// <param name="baseAddresses">The JobHub instances: browser user i uses instance i mod their count.</param>
    public static async Task RunAsync(IReadOnlyList<Uri> baseAddresses, IDbContextFactory<JobHubDbContext> db, IReadOnlyList<string> emails, string password,
        DateTime stopAt, LoadReport report, CancellationToken cancellationToken)
    {
        if (emails.Count == 0)
        {
            return;
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic"],
        });
        await Task.WhenAll(emails.Select((email, i) =>
            SessionAsync(browser, baseAddresses[i % baseAddresses.Count], db, email, password, stopAt, report, cancellationToken)));
    }

    private static async Task SessionAsync(IBrowser browser, Uri baseAddress, IDbContextFactory<JobHubDbContext> db, string email, string password,
        DateTime stopAt, LoadReport report, CancellationToken cancellationToken)
    {
        await using var context = await browser.NewContextAsync();
        await context.AddInitScriptAsync(RecordStatusChanges);
        var page = await context.NewPageAsync();
        while (DateTime.UtcNow < stopAt && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SignInAsync(page, baseAddress, email, password);
                while (DateTime.UtcNow < stopAt && !cancellationToken.IsCancellationRequested)
                {
                    await RunOneJobAsync(page, baseAddress, db, report);
                }
            }
            catch (Exception ex) when (ex is PlaywrightException or TimeoutException || ex.DatabaseError() is not null)
            {
                // JobHub killed or restarting under the page: start the page again
                report.Count("browser: page restarted");
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }

    private static async Task SignInAsync(IPage page, Uri baseAddress, string email, string password)
    {
        await page.GotoAsync(new Uri(baseAddress, "tools/pose-changer").ToString());
        if (page.Url.Contains("/account/login", StringComparison.Ordinal))
        {
            await page.FillAsync("#email", email);
            await page.FillAsync("#password", password);
            await page.ClickAsync("#login-submit");
            await page.WaitForURLAsync(url => url.Contains("/tools/pose-changer", StringComparison.Ordinal));
        }
    }

    /// <summary>One job through the tool page, from the form (or the active job the page shows) to its end.</summary>
    private static async Task RunOneJobAsync(IPage page, Uri baseAddress, IDbContextFactory<JobHubDbContext> db, LoadReport report)
    {
        await page.GotoAsync(new Uri(baseAddress, "tools/pose-changer").ToString());
        await page.Locator("body[data-circuit='on']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30000 });
        if (await page.Locator("#tool-form").CountAsync() > 0)
        {
            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "person.png", MimeType = "image/png", Buffer = SampleMedia.Png(96, 128, 3) });
            await page.Locator("#input-pose").SetInputFilesAsync(new FilePayload { Name = "pose.png", MimeType = "image/png", Buffer = SampleMedia.Png(96, 128, 9) });
            await page.ClickAsync("#run");
        }

        // The whole wait in the queue can be long under load; a page that stops following (JobHub killed) is restarted by the caller.
        await page.Locator("#job[data-status='completed'], #job[data-status='failed'], #job[data-status='cancelled']")
            .WaitForAsync(new() { Timeout = 15 * 60_000 });
        var changes = JsonSerializer.Deserialize<List<Change>>(await page.EvaluateAsync<string>("JSON.stringify(window.__jobhubChanges)"),
            JsonSerializerOptions.Web) ?? [];
        await using var context = await db.CreateDbContextAsync();
        // The first state seen of each job is what the page loaded or the submission answered; the later ones were pushed.
        foreach (var change in changes.Where(c => c.Job is not null).GroupBy(c => c.Job).SelectMany(job => job.Skip(1)))
        {
            var jobId = Guid.Parse(change.Job!);
            var committed = await context.Set<JobEventRow>()
                .Where(e => e.JobId == jobId && e.Kind == JobEvents.Transition && e.ToStatus == change.Status).MaxAsync(e => (DateTime?)e.At);
            var shown = DateTimeOffset.FromUnixTimeMilliseconds(change.At).UtcDateTime;
            if (committed is { } at && shown >= at.ToUniversalTime())
            {
                report.Sample("page update", shown - at.ToUniversalTime());
            }
        }

        report.Count("browser job ended");
        await page.EvaluateAsync("window.__jobhubChanges = []");
        await Task.Delay(500);
    }

    private sealed record Change(string? Job, string Status, long At);
}
