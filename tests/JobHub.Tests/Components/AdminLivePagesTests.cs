using Bunit;
using JobHub.Core.Jobs;
using JobHub.Web.Components.Pages.Admin;
using JobHub.Web.Realtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace JobHub.Tests.Components;

/// <summary>The admin pages that stay current while open (bUnit, real engine), on a clock whose ticks the test makes.</summary>
public sealed class AdminLivePagesTests : EngineComponentTests
{
    private readonly FakeTimeProvider ticks = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private void UseTicks() => Ui.Services.AddSingleton<TimeProvider>(ticks);

    [Fact]
    public async Task TheQueuePage_ShowsAJobSubmittedWhileItIsOpen_OnTheTickAfterItsChange_AndStopsWhenLeft()
    {
        UseTicks();
        SignIn(await H.CreateUserAsync(0), admin: true);
        var page = Ui.Render<AdminQueue>();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("#running [data-job]")), TimeSpan.FromSeconds(10));
        var job = (await H.SubmitAsync(await H.CreateUserAsync(10))).Job!;
        await PublishAsync(job, job.Status);
        Assert.Empty(page.FindAll("#running [data-job]")); // read on the tick, not on every change

        ticks.Advance(LiveRefresh.Tick);

        page.WaitForAssertion(() => Assert.Equal(job.Id.ToString(), page.Find("#running [data-job]").GetAttribute("data-job")), TimeSpan.FromSeconds(10));
        var renders = page.RenderCount;
        await Ui.DisposeComponentsAsync();
        await PublishAsync(job, JobStatus.Running);
        ticks.Advance(LiveRefresh.Tick * LiveRefresh.TicksPerRead);
        Assert.Equal(renders, page.RenderCount);
    }

    [Fact]
    public async Task TheOverview_ReadsAgain_OnTheTickAfterAJobChange()
    {
        UseTicks();
        SignIn(await H.CreateUserAsync(0), admin: true);
        var page = Ui.Render<AdminOverview>();
        page.WaitForAssertion(() => Assert.StartsWith("0 /", page.Find("#slots").TextContent.Trim()), TimeSpan.FromSeconds(10));
        var job = (await H.SubmitAsync(await H.CreateUserAsync(10))).Job!;
        await PublishAsync(job, job.Status);

        ticks.Advance(LiveRefresh.Tick);

        page.WaitForAssertion(() => Assert.StartsWith("1 /", page.Find("#slots").TextContent.Trim()), TimeSpan.FromSeconds(10));
    }
}
