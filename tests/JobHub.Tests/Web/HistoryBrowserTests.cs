using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Maintenance;
using JobHub.Core.Storage;
using JobHub.Core.Tools;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SkiaSharp;

namespace JobHub.Tests.Web;

/// <summary>One JobHub for the class: each test makes its own people and jobs.</summary>
public sealed class HistoryHostFixture : IAsyncLifetime
{
    public LiveJobHub Hub { get; private set; } = null!;

    public async Task InitializeAsync() => Hub = await LiveJobHub.StartAsync();

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>
/// History in Chromium (pt-BR): its filters and page live in the address, its ledger pages and fits a phone with each job's
/// tool and a link to it, and its results are small thumbnails, served to their owner only, that open the job.
/// </summary>
public sealed class HistoryBrowserTests(HistoryHostFixture fixture) : IClassFixture<HistoryHostFixture>
{
    private const string Password = "a-long-password-1";
    private static readonly DateTime Day = DateTime.UtcNow.Date.AddHours(12);

    private LiveJobHub Hub => fixture.Hub;

    private string Url(string path) => new Uri(Hub.BaseAddress, path).ToString();

    /// <summary>A person who can sign in, with <paramref name="credits"/> granted.</summary>
    private async Task<(Guid Id, string Email)> PersonAsync(int credits = 100)
    {
        var id = await Hub.CreateUserAsync(credits);
        var hash = new PasswordHasher<JobHubUser>().HashPassword(new JobHubUser(), Password);
        await Hub.Db.ExecuteAsync($"UPDATE users SET password_hash = {hash} WHERE id = {id}");
        return (id, $"{id:N}@test.local");
    }

    private async Task<(IBrowserContext Context, IPage Page)> SignedInAsync(string email, int width = 1280)
    {
        var context = await (await Browser.GetAsync()).NewContextAsync(new()
        {
            ViewportSize = new() { Width = width, Height = width < 600 ? 740 : 900 }, IsMobile = width < 600,
        });
        return (context, await BrowserPages.SignedInAsync(context, Hub.BaseAddress, email, Password));
    }

    /// <summary>
    /// 30 ended jobs of <paramref name="user"/>, one an hour back from <see cref="Day"/>, each with its debit: every fifth a
    /// failed try-on (refunded), the others completed pose changes; the newest first, in the ledger too.
    /// </summary>
    private async Task<List<Guid>> ThirtyJobsAsync(Guid user)
    {
        var ids = new List<Guid>();
        for (var i = 29; i >= 0; i--)
        {
            var id = Guid.NewGuid();
            var (tool, status) = i % 5 == 0 ? ("virtual-try-on", JobStatus.Failed) : ("pose-changer", JobStatus.Completed);
            var created = Day.AddHours(-i);
            await Hub.Db.ExecuteAsync($"""
                INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, queue_seq, started_at, completed_at, error_code, updated_at)
                VALUES ({id}, {user}, {tool}, {status}, 3, {created}, nextval('jobs_queue_seq'), {created}, {created.AddMinutes(2)},
                        CASE WHEN {status} = 'failed' THEN 'TIMEOUT' END, {created.AddMinutes(2)});
                INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, created_at) VALUES ({user}, {id}, 'debit', -3, 97, {created});
                INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
                SELECT {user}, {id}, 'refund', 3, 100, 'job failed', {created.AddMinutes(2)} WHERE {status} = 'failed';
                """);
            ids.Insert(0, id);
        }

        return ids;
    }

    private static async Task ShowsAsync(IPage page, IEnumerable<string> expected)
    {
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await ShownAsync(page)).SequenceEqual(expected), TimeSpan.FromSeconds(10)),
            "the page shows " + string.Join(", ", await ShownAsync(page)));
    }

    private static async Task<IReadOnlyList<string>> ShownAsync(IPage page) =>
        await page.Locator("#jobs tbody .job-link").EvaluateAllAsync<string[]>("links => links.map(l => l.dataset.job)");

    [Fact]
    public async Task TheFiltersAndThePage_SurviveAReload_AndBackFromAJob()
    {
        var (user, email) = await PersonAsync();
        var ids = await ThirtyJobsAsync(user);
        var completed = ids.Where((_, i) => i % 5 != 0).Select(id => id.ToString()).ToList();
        var (context, page) = await SignedInAsync(email);
        await using var _ = context;

        await page.GotoAsync(Url("history?state=completed"));
        await BrowserPages.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("#history-pager")).ToContainTextAsync("1–20 de 24");
        await page.ClickAsync("#history-pager button[aria-label='Próxima página']");
        await Assertions.Expect(page.Locator("#history-pager")).ToContainTextAsync("21–24 de 24");
        await page.WaitForURLAsync(Url("history?state=completed&page=1"));
        // The rows can come a render or two after the pager's text (and after Back, be drawn twice): read until they settle.
        await ShowsAsync(page, completed.Skip(20));

        await page.ReloadAsync();
        await BrowserPages.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("#history-pager")).ToContainTextAsync("21–24 de 24");
        await ShowsAsync(page, completed.Skip(20));

        await page.Locator("#jobs tbody .job-link").First.ClickAsync();
        await page.WaitForURLAsync(Url($"jobs/{completed[20]}"));
        await page.GoBackAsync();
        await page.WaitForURLAsync(Url("history?state=completed&page=1"));
        await Assertions.Expect(page.Locator("#history-pager")).ToContainTextAsync("21–24 de 24");
        await ShowsAsync(page, completed.Skip(20));
    }

    [Fact]
    public async Task TheLedger_Pages_FitsAPhone_AndEachDebitNamesItsToolAndOpensItsJob()
    {
        var (user, email) = await PersonAsync();
        var ids = await ThirtyJobsAsync(user);
        var (context, page) = await SignedInAsync(email, width: 360);
        await using var _ = context;

        await page.GotoAsync(Url("history"));
        await BrowserPages.WaitForCircuitAsync(page);

        // The grant, 30 debits and 6 refunds.
        await Assertions.Expect(page.Locator("#ledger-pager")).ToContainTextAsync("1–20 de 37");
        await Assertions.Expect(page.Locator("#ledger tbody tr")).ToHaveCountAsync(20);
        var widths = await page.EvaluateAsync<int[]>(
            "() => [document.documentElement.scrollWidth, ...[...document.querySelectorAll('#ledger tbody tr')].map(row => row.scrollWidth)]");
        Assert.All(widths, width => Assert.True(width <= 360, $"{width} px wide at 360: {string.Join(", ", widths)}"));

        var tool = Hub.Services.GetRequiredService<ToolCatalog>().Find("pose-changer")!.DisplayName("pt-BR");
        var debit = page.Locator($"#ledger td[data-kind=debit]:has(a[data-job='{ids[1]}'])");
        await Assertions.Expect(debit).ToContainTextAsync($"{tool} – trabalho {JobHub.Web.Components.Jobs.JobIdLink.Short(ids[1])}");
        await Assertions.Expect(page.Locator($"#ledger td[data-kind=refund]:has(a[data-job='{ids[0]}'])")).ToContainTextAsync("Devolução, o trabalho falhou");

        await page.ClickAsync("#ledger-pager button[aria-label='Próxima página']");
        await Assertions.Expect(page.Locator("#ledger-pager")).ToContainTextAsync("21–37 de 37");
        await Assertions.Expect(page.Locator("#ledger tbody tr")).ToHaveCountAsync(17);
        await page.ClickAsync("#ledger-pager button[aria-label='Página anterior']");
        await debit.Locator("a").ClickAsync();
        await page.WaitForURLAsync(Url($"jobs/{ids[1]}"));
    }

    [Fact]
    public async Task AResultsThumbnail_IsSmall_MadeOnce_OnlyForItsOwner_GoneWithTheJobsFiles_AndOpensTheJob()
    {
        var (owner, email) = await PersonAsync();
        var (_, otherEmail) = await PersonAsync();
        var storage = Hub.Services.GetRequiredService<IFileStorage>();
        var thumbnails = Hub.Services.GetRequiredService<ResultThumbnails>();
        var original = SampleMedia.Png(3840, 2160, 5);
        var result = await storage.SaveAsync("outputs", new MemoryStream(original), "png", CancellationToken.None);
        var id = Guid.NewGuid();
        var outputs = JobJson.Serialize(new[] { new JobOutput("https://rh.example/result.png", "9", "png", result) });
        await Hub.Db.ExecuteAsync($"""
            INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, queue_seq, started_at, completed_at, outputs, outputs_copied_at, updated_at)
            VALUES ({id}, {owner}, 'image-upscaler', 'completed', 3, now(), nextval('jobs_queue_seq'), now(), now(), {outputs}::jsonb, now(), now())
            """);
        var (context, page) = await SignedInAsync(email);
        await using var _ = context;
        var thumb = Url($"files/jobs/{id}/thumbs/0");
        var made = thumbnails.Made;

        var first = await page.APIRequest.GetAsync(thumb);
        Assert.Equal(200, first.Status);
        Assert.Equal("image/webp", first.Headers["content-type"]);
        var bytes = await first.BodyAsync();
        using (var codec = SKCodec.Create(new MemoryStream(bytes)))
        {
            Assert.Equal((320, 180), (codec.Info.Width, codec.Info.Height));
        }

        Assert.True(bytes.Length < 20_000 && bytes.Length * 20 < original.Length, $"{bytes.Length} bytes for a {original.Length}-byte result");
        Assert.Equal(made + 1, thumbnails.Made);
        var again = await page.APIRequest.GetAsync(thumb);
        Assert.Equal(bytes, await again.BodyAsync());
        Assert.Equal(made + 1, thumbnails.Made); // served from storage, not made again

        var (otherContext, other) = await SignedInAsync(otherEmail);
        await using (otherContext)
        {
            Assert.Equal(404, (await other.APIRequest.GetAsync(thumb)).Status);
        }

        // History shows the thumbnail, not the result; a click opens the job.
        await page.GotoAsync(Url("history"));
        await BrowserPages.WaitForCircuitAsync(page);
        var link = page.Locator($"#jobs .result-link[data-job='{id}']");
        await Assertions.Expect(link.Locator("img")).ToHaveAttributeAsync("src", $"/files/jobs/{id}/thumbs/0");
        await Assertions.Expect(link.Locator("img")).ToHaveJSPropertyAsync("naturalWidth", 320);
        await link.ClickAsync();
        await page.WaitForURLAsync(Url($"jobs/{id}"));

        await Hub.Db.ExecuteAsync($"UPDATE jobs SET completed_at = now() - interval '400 days' WHERE id = {id}");
        await Hub.Services.GetServices<IMaintenanceTask>().OfType<RetentionSweep>().Single().RunAsync(CancellationToken.None);
        Assert.False(await storage.ExistsAsync(result));
        Assert.False(await storage.ExistsAsync(ResultThumbnails.NameFor(result)!));
        Assert.Equal(404, (await page.APIRequest.GetAsync(thumb)).Status);
    }
}
