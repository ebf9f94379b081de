using Bunit;
using Bunit.TestDoubles;
using JobHub.Core.Jobs;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using JobHub.Web.Components.Pages;
using MudBlazor;

namespace JobHub.Tests.Components;

/// <summary>
/// The History page (bUnit, MudDataGrid on the real database): a person's own jobs only, a page of 20 at a time newest
/// first, sorted by the header clicked, filtered by tool, state and dates in their time zone; the ledger below with its
/// reasons in the page's language. The query behind it (<see cref="JobQueries.HistoryAsync"/>) is tested on its own too.
/// </summary>
public sealed class HistoryTests : EngineComponentTests
{
    private static readonly DateTime Day = new(2026, 11, 20, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>An ended job of <paramref name="user"/>, made directly (the engine's paths are tested elsewhere).</summary>
    private async Task<Guid> EndedJobAsync(Guid user, string tool, string status, DateTime created, int credits = 3)
    {
        var id = Guid.NewGuid();
        await H.Db.ExecuteAsync($"""
            INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, queue_seq, started_at, completed_at, error_code, error_message, updated_at)
            VALUES ({id}, {user}, {tool}, {status}, {credits}, {created}, nextval('jobs_queue_seq'), {created.AddSeconds(5)}, {created.AddMinutes(2)},
                    CASE WHEN {status} = 'failed' THEN 'RUNNINGHUB_ERROR' END, CASE WHEN {status} = 'failed' THEN 'CUDA out of memory' END,
                    {created.AddMinutes(2)})
            """);
        return id;
    }

    /// <summary>25 jobs of one person, one an hour back from <see cref="Day"/>: pose changer (completed) and every fifth a failed try-on.</summary>
    private async Task<(Guid User, List<Guid> NewestFirst)> TwentyFiveJobsAsync()
    {
        var user = await H.CreateUserAsync(10);
        var ids = new List<Guid>();
        for (var i = 0; i < 25; i++)
        {
            var failed = i % 5 == 0;
            ids.Add(await EndedJobAsync(user, failed ? "virtual-try-on" : "pose-changer", failed ? JobStatus.Failed : JobStatus.Completed,
                Day.AddHours(-i), credits: i));
        }

        await EndedJobAsync(await H.CreateUserAsync(10), "pose-changer", JobStatus.Completed, Day); // someone else's
        return (user, ids);
    }

    private static IReadOnlyList<string> Shown(IRenderedComponent<History> cut) =>
        cut.FindAll("#jobs tbody .job-link").Select(link => link.GetAttribute("data-job")!).ToList();

    [Fact]
    public async Task ShowsTwentyAtATime_NewestFirst_OnlyTheirOwn_AndTheNextPage()
    {
        var (user, ids) = await TwentyFiveJobsAsync();
        SignIn(user);

        var cut = Ui.Render<History>();

        cut.WaitForAssertion(() => Assert.Equal(ids.Take(20).Select(id => id.ToString()), Shown(cut)), TimeSpan.FromSeconds(10));
        Assert.Contains("CUDA out of memory", cut.Find("#jobs tbody").TextContent); // the error in RunningHub's words
        cut.Find("#history-pager button[aria-label='Next page']").Click();
        cut.WaitForAssertion(() => Assert.Equal(ids.Skip(20).Select(id => id.ToString()), Shown(cut)), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task FiltersByToolStateAndDates_AndSortsByTheHeaderClicked()
    {
        var (user, ids) = await TwentyFiveJobsAsync();
        SignIn(user);
        var cut = Ui.Render<History>();
        cut.WaitForAssertion(() => Assert.Equal(20, Shown(cut).Count), TimeSpan.FromSeconds(10));

        var selects = cut.FindComponents<MudSelect<string>>();
        await cut.InvokeAsync(() => selects[0].Instance.ValueChanged.InvokeAsync("virtual-try-on"));
        cut.WaitForAssertion(() => Assert.Equal(new[] { 0, 5, 10, 15, 20 }.Select(i => ids[i].ToString()), Shown(cut)), TimeSpan.FromSeconds(10));

        await cut.InvokeAsync(() => selects[0].Instance.ValueChanged.InvokeAsync(""));
        await cut.InvokeAsync(() => selects[1].Instance.ValueChanged.InvokeAsync(JobStatus.Completed));
        cut.WaitForAssertion(() => Assert.Equal(20, Shown(cut).Count), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(ids[0].ToString(), Shown(cut));

        // Dates are the person's days (UTC here): jobs created on 2026-11-19 only (hours 12 to 23 back from noon on the 20th).
        await cut.InvokeAsync(() => selects[1].Instance.ValueChanged.InvokeAsync(""));
        var dates = cut.FindComponents<MudTextField<DateTime?>>();
        await cut.InvokeAsync(() => dates[0].Instance.ValueChanged.InvokeAsync(new DateTime(2026, 11, 19)));
        await cut.InvokeAsync(() => dates[1].Instance.ValueChanged.InvokeAsync(new DateTime(2026, 11, 19)));
        cut.WaitForAssertion(() => Assert.Equal(Enumerable.Range(13, 12).Select(i => ids[i].ToString()), Shown(cut)), TimeSpan.FromSeconds(10));

        // Credits, fewest first: job i cost i credits.
        await cut.InvokeAsync(() => cut.FindComponent<MudDataGrid<Job>>().Instance.SetSortAsync(nameof(Job.CreditCost), SortDirection.Ascending, j => j.CreditCost));
        cut.WaitForAssertion(() => Assert.Equal(Enumerable.Range(13, 12).Select(i => ids[i].ToString()), Shown(cut)), TimeSpan.FromSeconds(10));
        await cut.InvokeAsync(() => cut.FindComponent<MudDataGrid<Job>>().Instance.SetSortAsync(nameof(Job.CreditCost), SortDirection.Descending, j => j.CreditCost));
        cut.WaitForAssertion(() => Assert.Equal(Enumerable.Range(13, 12).Reverse().Select(i => ids[i].ToString()), Shown(cut)), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task NoJobs_SaysSo_AndTheLedgerShowsTheSignUpGrantInThePagesLanguage()
    {
        var user = await H.CreateUserAsync(10);
        SignIn(user);

        var cut = Ui.Render<History>();

        cut.WaitForAssertion(() => Assert.Contains("not run any job", cut.Find("#no-jobs").TextContent), TimeSpan.FromSeconds(10));
        // Read beside the grid's own load; the stored reason ("test grant") is shown in the page's words.
        cut.WaitForAssertion(() => Assert.Contains("Sign-up grant", cut.Find("#ledger tbody td[data-kind=grant]").TextContent), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TheFiltersAndThePage_ComeFromTheAddress_AndAChangeReplacesIt()
    {
        var (user, ids) = await TwentyFiveJobsAsync();
        SignIn(user);
        var navigation = Ui.Services.GetRequiredService<BunitNavigationManager>();
        navigation.NavigateTo("/history?page=1&state=nonsense&from=someday");

        var cut = Ui.Render<History>();

        // The second page; a state or a date the page does not offer is left out rather than matching nothing.
        cut.WaitForAssertion(() => Assert.Equal(ids.Skip(20).Select(id => id.ToString()), Shown(cut)), TimeSpan.FromSeconds(10));
        var selects = cut.FindComponents<MudSelect<string>>();
        await cut.InvokeAsync(() => selects[0].Instance.ValueChanged.InvokeAsync("virtual-try-on"));
        cut.WaitForAssertion(() => Assert.Equal(new[] { 0, 5, 10, 15, 20 }.Select(i => ids[i].ToString()), Shown(cut)), TimeSpan.FromSeconds(10));
        await cut.InvokeAsync(() => cut.FindComponents<MudTextField<DateTime?>>()[0].Instance.ValueChanged.InvokeAsync(new DateTime(2026, 11, 19)));

        cut.WaitForAssertion(() => Assert.Equal("http://localhost/history?tool=virtual-try-on&from=2026-11-19", navigation.Uri), TimeSpan.FromSeconds(10));
        Assert.True(navigation.History.First().Options.ReplaceHistoryEntry); // Back leaves History instead of undoing a filter
    }

    [Fact]
    public async Task APageInTheAddressThatIsNotANumber_ShowsTheFirstPage_NotAnError()
    {
        var (user, ids) = await TwentyFiveJobsAsync();
        SignIn(user);
        Ui.Services.GetRequiredService<BunitNavigationManager>().NavigateTo("/history?page=abc");

        var cut = Ui.Render<History>();

        cut.WaitForAssertion(() => Assert.Equal(ids.Take(20).Select(id => id.ToString()), Shown(cut)), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TheLedger_ShowsTwentyAtATime_EachJobsEntryNamingItsToolAndLinkingToIt()
    {
        var (user, ids) = await TwentyFiveJobsAsync();
        await H.Db.ExecuteAsync($"""
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
            SELECT user_id, id, 'debit', -credit_cost, 100, NULL, created_at FROM jobs WHERE user_id = {user} ORDER BY created_at
            """);
        await H.Db.ExecuteAsync($"""
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
            VALUES ({user}, {ids[0]}, 'refund', 0, 100, 'job failed', now())
            """);
        SignIn(user);

        var cut = Ui.Render<History>();

        // The grant, 25 debits and a refund, newest first: the refund first, the grant last.
        cut.WaitForAssertion(() => Assert.Equal(20, cut.FindAll("#ledger tbody tr").Count), TimeSpan.FromSeconds(10));
        cut.WaitForAssertion(() => Assert.Contains("1–20 of 27", cut.Find("#ledger-pager").TextContent), TimeSpan.FromSeconds(10));
        var refund = cut.Find("#ledger tbody td[data-kind=refund]");
        Assert.Equal("Refund, the job failed: Veste AI (virtual try-on) – job " + JobHub.Web.Components.Jobs.JobIdLink.Short(ids[0]),
            string.Join(" ", refund.TextContent.Split(default(char[]), StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal($"/jobs/{ids[0]}", refund.QuerySelector("a.ledger-job")!.GetAttribute("href"));
        var debit = cut.FindAll("#ledger tbody td[data-kind=debit]").Single(td => td.QuerySelector("a.ledger-job")!.GetAttribute("data-job") == ids[1].ToString());
        Assert.StartsWith("Pose Changer –", debit.TextContent.Trim());

        cut.Find("#ledger-pager button[aria-label='Next page']").Click();
        cut.WaitForAssertion(() => Assert.Equal(7, cut.FindAll("#ledger tbody tr").Count), TimeSpan.FromSeconds(10));
        Assert.Contains("Sign-up grant", cut.Find("#ledger tbody td[data-kind=grant]").TextContent);
    }

    [Fact]
    public async Task TheQuery_KeepsToTheOwner_ClampsThePage_AndCountsWhatMatches()
    {
        var (user, ids) = await TwentyFiveJobsAsync();
        var queries = H.Services.GetRequiredService<JobQueries>();

        var all = await queries.HistoryAsync(user, new HistoryQuery(PageSize: 1000));
        Assert.Equal(25, all.Total); // a page holds at most 100: all 25 here
        Assert.Equal(ids, all.Jobs.Select(j => j.Id));
        Assert.Equal(20, (await queries.HistoryAsync(user, new HistoryQuery(Page: -3))).Jobs.Count);

        var failed = await queries.HistoryAsync(user, new HistoryQuery(Status: JobStatus.Failed, SortBy: HistorySort.Credits, Descending: false));
        Assert.Equal(5, failed.Total);
        Assert.Equal([0, 5, 10, 15, 20], failed.Jobs.Select(j => j.CreditCost));
        Assert.Equal(0, (await queries.HistoryAsync(user, new HistoryQuery(Status: HistoryQuery.InProgress))).Total);
        Assert.Equal(0, (await queries.HistoryAsync(Guid.NewGuid(), new HistoryQuery())).Total);
    }
}
