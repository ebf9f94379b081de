using Bunit;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Web.Components.Pages.Admin;
using MudBlazor;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Components;

/// <summary>
/// The admin job page (bUnit, real engine): what RunningHub said and what the job holds shown as fields, never raw JSON;
/// an action offered only where it can apply; each action confirmed in a dialog that asks for its reason.
/// </summary>
public sealed partial class AdminJobDetailTests : EngineComponentTests
{
    private async Task<(IRenderedComponent<MudDialogProvider> Dialogs, IRenderedComponent<AdminJobDetail> Page)> RenderForAsync(Guid jobId)
    {
        SignIn(await H.CreateUserAsync(0), admin: true); // the audit log names a real admin
        var dialogs = Ui.Render<MudDialogProvider>();
        var page = Ui.Render<AdminJobDetail>(ps => ps.Add(p => p.JobId, jobId));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("#job-facts")), TimeSpan.FromSeconds(10));
        return (dialogs, page);
    }

    [Fact]
    public async Task AFailedJob_ShowsItsParametersInputsAndRunningHubsReason_AsFields_AndOffersNoAction()
    {
        var job = await H.RunningJobAsync(credits: 10);
        await H.Finish.FailAsync(job.Id, new JobFailure(JobErrorCodes.RunningHubError, "CUDA out of memory", "805", "CUDA out of memory",
            """{"node_name":"KSampler","exception_message":"CUDA out of memory","traceback":["line 1","line 2"]}"""), JobCause.Webhook);

        var (_, page) = await RenderForAsync(job.Id);

        var facts = page.Find("#job-facts");
        Assert.Empty(facts.QuerySelectorAll("code"));
        Assert.DoesNotContain("{\"", facts.TextContent);
        var reason = page.Find("#job-failed-reason");
        Assert.Equal(["exception_message", "node_name", "traceback.0", "traceback.1"], reason.QuerySelectorAll("dt").Select(dt => dt.TextContent).Order());
        Assert.Contains("KSampler", reason.TextContent);
        Assert.Equal(2, page.FindAll("#job-inputs [data-input]").Count); // the pose changer's person and pose
        Assert.Contains("px", page.Find("#job-inputs [data-input=person]").TextContent);
        Assert.Empty(page.FindAll("#admin-cancel"));
        Assert.Empty(page.FindAll("#reconcile-now"));
    }

    [Fact]
    public async Task TheToolAndItsApp_ShowAsPeopleChoseThem_WithTheKeysOnHover_AndTheCostHasNoStrayDash()
    {
        var submitted = await H.SubmitAsync(await H.CreateUserAsync(50), "image-upscaler",
            new Dictionary<string, string?> { ["category"] = "people", ["framing"] = "close", ["version"] = "standard" });
        await H.Launcher.WhenIdleAsync();
        await H.Finish.CompleteAsync(submitted.Job!.Id, [new JobOutput("https://rh.example/o.png", "9", "png")], null, JobCause.Webhook);

        var (_, page) = await RenderForAsync(submitted.Job.Id);

        var tool = page.Find("#job-tool");
        Assert.Equal("Arcane Upscaler · People, Close (face, half body), Standard", Whitespace().Replace(tool.TextContent, " ").Trim());
        Assert.Equal("image-upscaler · 2017030861371219969", tool.GetAttribute("title"));
        var cost = page.Find("#job-cost").TextContent.Trim();
        Assert.EndsWith("(estimated)", cost); // RunningHub gave no usage: nothing after the estimate
        Assert.DoesNotContain("–", cost);
    }

    [Fact]
    public async Task ARunningJob_OffersReconcileAndCancel_EachAskedWithItsReason()
    {
        var job = await H.RunningJobAsync(credits: 10);
        var (dialogs, page) = await RenderForAsync(job.Id);

        page.Find("#admin-cancel").Click();
        dialogs.WaitForAssertion(() => Assert.True(dialogs.Find("button#confirm-yes").HasAttribute("disabled")));
        dialogs.Find("button#confirm-no").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")));
        Assert.Equal(JobStatus.Running, (await H.GetJobAsync(job.Id)).Status);

        page.Find("#admin-cancel").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("#confirm-reason").Input("the person asked by email"));
        dialogs.Find("button#confirm-yes").Click();

        page.WaitForAssertion(() => Assert.Equal(JobStatus.Cancelled, page.Find("#job-facts").GetAttribute("data-status")), TimeSpan.FromSeconds(10));
        Assert.Equal(JobStatus.Cancelled, (await H.GetJobAsync(job.Id)).Status);
        Assert.Equal(10, await H.BalanceAsync(job.UserId));
        Assert.Equal(["cancel|the person asked by email"],
            await H.QueryAsync<string>($"SELECT action || '|' || reason FROM admin_actions WHERE target = {job.Id.ToString()}"));
        Assert.Empty(page.FindAll("#admin-cancel")); // nothing left to cancel
    }

    [Fact]
    public async Task AJobWithManyEventsAndDeliveries_ShowsOnePageOfEach_WithTheTotals()
    {
        var job = await H.RunningJobAsync(credits: 10);
        var events = await H.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id}");
        await using (var db = await H.Db.CreateDbContextAsync())
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO job_events (job_id, at, kind, from_status, cause, message)
                SELECT {job.Id}, now(), 'note', 'running', 'system', 'note ' || n FROM generate_series(1, {120 - events}) AS n
                """);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO webhook_deliveries (job_id, received_at, http_status, outcome, body)
                SELECT {job.Id}, now(), 400, 'malformed', 'body ' || n FROM generate_series(1, 70) AS n
                """);
        }

        var (_, page) = await RenderForAsync(job.Id);

        Assert.Equal(50, page.FindAll("#events tbody tr").Count);
        Assert.Contains("120", page.Find("#events-total").TextContent);
        Assert.Equal(50, page.FindAll("#deliveries tbody tr").Count);
        Assert.Contains("70", page.Find("#deliveries-total").TextContent);

        page.FindAll("#events-pages button").Single(b => b.TextContent.Trim() == "3").Click();
        page.WaitForAssertion(() => Assert.Equal(20, page.FindAll("#events tbody tr").Count));
        Assert.Contains($"note {120 - events}", page.Find("#events tbody tr:last-child").TextContent);
        Assert.Equal(50, page.FindAll("#deliveries tbody tr").Count); // the other list keeps its page

        page.FindAll("#deliveries-pages button").Single(b => b.TextContent.Trim() == "2").Click();
        page.WaitForAssertion(() => Assert.Equal(20, page.FindAll("#deliveries tbody tr").Count));
        Assert.Equal(20, page.FindAll("#events tbody tr").Count);
    }

    [Fact]
    public async Task RunningHubsLink_IsShownOnlyWhenHttpsOnAnAllowedHost()
    {
        var job = await H.RunningJobAsync(credits: 10);
        await H.Finish.CompleteAsync(job.Id, [new JobOutput("https://rh.example/o.png", "9", "png"), new JobOutput("http://rh.example/o.html", "9", "png"),
            new JobOutput("https://attacker.example/o.svg", "9", "png")], null, JobCause.Webhook);

        var (_, page) = await RenderForAsync(job.Id);

        Assert.Equal(["https://rh.example/o.png"], page.FindAll("#job-outputs a.runninghub-link").Select(a => a.GetAttribute("href")));
        Assert.Equal(2, page.FindAll("#job-outputs .runninghub-link-hidden").Count);
        Assert.DoesNotContain("attacker.example", page.Markup);
        Assert.DoesNotContain("http://rh.example", page.Markup);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\s+")]
    private static partial System.Text.RegularExpressions.Regex Whitespace();
}
