using Bunit;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Web.Components.Pages;

namespace JobHub.Tests.Components;

/// <summary>A job's own page, <c>/jobs/{id}</c> (bUnit, real engine): the owner's and admins' only, live, then the result.</summary>
public sealed class JobDetailTests : EngineComponentTests
{
    private IRenderedComponent<JobDetail> RenderAs(Guid user, Guid jobId, bool admin = false)
    {
        SignIn(user, admin);
        return Ui.Render<JobDetail>(ps => ps.Add(p => p.JobId, jobId));
    }

    [Fact]
    public async Task TheOwner_FollowsTheJobLive_ThenSeesTheResult_AndHasTheWayBackToTheTool()
    {
        var job = await H.RunningJobAsync(credits: 10);

        var cut = RenderAs(job.UserId, job.Id);

        cut.WaitForAssertion(() => Assert.Equal(JobStatus.Running, cut.Find("#job").GetAttribute("data-status")));
        Assert.NotNull(cut.Find("#job .mud-progress-linear"));
        Assert.Equal("/tools/pose-changer", cut.Find("a#open-tool").GetAttribute("href"));

        await H.Finish.CompleteAsync(job.Id, [new JobOutput("https://rh.example/o.png", "9", "png")], null, JobCause.Webhook);
        await PublishAsync(job, JobStatus.Completed);

        cut.WaitForAssertion(() => Assert.Equal(JobStatus.Completed, cut.Find("#job").GetAttribute("data-status")), TimeSpan.FromSeconds(10));
        Assert.NotNull(cut.Find("#result"));
        Assert.Empty(cut.FindAll("#job .mud-progress-linear"));
    }

    [Fact]
    public async Task AFailedJob_ShowsTheErrorAndTheRefund()
    {
        var job = await H.RunningJobAsync(credits: 10);
        await H.Finish.FailAsync(job.Id, new JobFailure(JobErrorCodes.RunningHubError, "CUDA out of memory", "805", "CUDA out of memory"),
            JobCause.Webhook, [JobStatus.Running]);

        var cut = RenderAs(job.UserId, job.Id);

        cut.WaitForAssertion(() => Assert.Contains("CUDA out of memory", cut.Find("#job-error").TextContent));
        Assert.NotNull(cut.Find("#refund-note"));
    }

    [Fact]
    public async Task SomeoneElse_IsToldThereIsNoSuchJob_AndSeesNothingOfIt()
    {
        var job = await H.RunningJobAsync(credits: 10);
        var stranger = await H.CreateUserAsync(10);

        var cut = RenderAs(stranger, job.Id);

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("#job-missing")));
        Assert.Empty(cut.FindAll("#job"));
        Assert.DoesNotContain(job.Id.ToString(), cut.Markup);
    }

    [Fact]
    public async Task AnAdmin_SeesAnyonesJob()
    {
        var job = await H.RunningJobAsync(credits: 10);
        var admin = await H.CreateUserAsync(10);

        var cut = RenderAs(admin, job.Id, admin: true);

        cut.WaitForAssertion(() => Assert.Equal(job.Id.ToString(), cut.Find("#job").GetAttribute("data-job")));
    }
}
