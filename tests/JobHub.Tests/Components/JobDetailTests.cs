using System.Security.Claims;
using Bunit;
using JobHub.Core.Jobs;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Components.Pages;
using JobHub.Web.Realtime;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Components;

/// <summary>A job's own page, <c>/jobs/{id}</c> (bUnit, real engine): the owner's and admins' only, live, then the result.</summary>
public sealed class JobDetailTests : IAsyncLifetime
{
    private EngineHarness h = null!;
    private readonly ComponentContext ui = new();

    public async Task InitializeAsync()
    {
        h = await EngineHarness.CreateAsync(configure: services => services.AddSingleton<JobNotifications>());
        ui.Services.AddFallbackServiceProvider(h.Services);
    }

    public async Task DisposeAsync()
    {
        await ui.DisposeAsync();
        await h.DisposeAsync();
    }

    private IRenderedComponent<JobDetail> RenderAs(Guid user, Guid jobId, bool admin = false)
    {
        var auth = ui.AddAuthorization().SetAuthorized("someone@example.com");
        if (admin)
        {
            auth.SetRoles("admin");
        }

        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, user.ToString()));

        return ui.Render<JobDetail>(ps => ps.Add(p => p.JobId, jobId));
    }

    [Fact]
    public async Task TheOwner_FollowsTheJobLive_ThenSeesTheResult_AndHasTheWayBackToTheTool()
    {
        var job = await h.RunningJobAsync(credits: 10);

        var cut = RenderAs(job.UserId, job.Id);

        cut.WaitForAssertion(() => Assert.Equal(JobStatus.Running, cut.Find("#job").GetAttribute("data-status")));
        Assert.NotNull(cut.Find("#job .mud-progress-linear"));
        Assert.Equal("/tools/pose-changer", cut.Find("a#open-tool").GetAttribute("href"));

        await h.Finish.CompleteAsync(job.Id, [new JobOutput("https://rh.example/o.png", "9", "png")], null, JobCause.Webhook);
        await h.Services.GetRequiredService<JobNotifications>().PublishAsync(new JobChange(job.Id, job.UserId, JobStatus.Completed));

        cut.WaitForAssertion(() => Assert.Equal(JobStatus.Completed, cut.Find("#job").GetAttribute("data-status")), TimeSpan.FromSeconds(10));
        Assert.NotNull(cut.Find("#result"));
        Assert.Empty(cut.FindAll("#job .mud-progress-linear"));
    }

    [Fact]
    public async Task AFailedJob_ShowsTheErrorAndTheRefund()
    {
        var job = await h.RunningJobAsync(credits: 10);
        await h.Finish.FailAsync(job.Id, new JobFailure(JobErrorCodes.RunningHubError, "CUDA out of memory", "805", "CUDA out of memory"),
            JobCause.Webhook, [JobStatus.Running]);

        var cut = RenderAs(job.UserId, job.Id);

        cut.WaitForAssertion(() => Assert.Contains("CUDA out of memory", cut.Find("#job-error").TextContent));
        Assert.NotNull(cut.Find("#refund-note"));
    }

    [Fact]
    public async Task SomeoneElse_IsToldThereIsNoSuchJob_AndSeesNothingOfIt()
    {
        var job = await h.RunningJobAsync(credits: 10);
        var stranger = await h.CreateUserAsync(10);

        var cut = RenderAs(stranger, job.Id);

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("#job-missing")));
        Assert.Empty(cut.FindAll("#job"));
        Assert.DoesNotContain(job.Id.ToString(), cut.Markup);
    }

    [Fact]
    public async Task AnAdmin_SeesAnyonesJob()
    {
        var job = await h.RunningJobAsync(credits: 10);
        var admin = await h.CreateUserAsync(10);

        var cut = RenderAs(admin, job.Id, admin: true);

        cut.WaitForAssertion(() => Assert.Equal(job.Id.ToString(), cut.Find("#job").GetAttribute("data-job")));
    }
}
