using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Tools;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>
/// The one estimate the tool pages show: a run's time left once it runs past its estimate, a queued job's wait from the
/// slots' remaining times, and both moving on the injected clock while a person waits.
/// </summary>
public sealed class RunEstimatesTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void ARunPastItsEstimate_HasMoreLeft_TheLongerItRuns()
    {
        var estimate = Seconds(30);

        Assert.Equal(Seconds(20), RunEstimates.Remaining(estimate, Seconds(10))); // the rest of the estimate
        Assert.Equal(Seconds(7.25), RunEstimates.Remaining(estimate, Seconds(29))); // never "1 s" at 0:29
        Assert.Equal(Seconds(15), RunEstimates.Remaining(estimate, Seconds(60)));
        Assert.Equal(Seconds(30), RunEstimates.Remaining(estimate, Seconds(120)));
        Assert.Equal(RunEstimates.MinimumLeft, RunEstimates.Remaining(Seconds(10), Seconds(8))); // at least a moment
    }

    [Fact]
    public void TheQueueWait_ComesFromTheRemainingTimesOfThreeRunningSlots()
    {
        TimeSpan[] slots = [Seconds(40), Seconds(10), Seconds(90)];
        var perJob = Seconds(60);

        Assert.Equal(Seconds(10), RunEstimates.QueueWait(1, 3, slots, perJob)); // the first slot to free
        Assert.Equal(Seconds(40), RunEstimates.QueueWait(2, 3, slots, perJob));
        Assert.Equal(Seconds(70), RunEstimates.QueueWait(3, 3, slots, perJob)); // the first slot's next job ends before the third slot frees
        Assert.Equal(Seconds(90), RunEstimates.QueueWait(4, 3, slots, perJob));
        Assert.Equal(Seconds(100), RunEstimates.QueueWait(5, 3, slots, perJob));
        Assert.Equal(RunEstimates.MinimumLeft, RunEstimates.QueueWait(1, 3, [Seconds(40)], perJob)); // a free slot: it starts now
    }

    [Fact]
    public async Task TheQueueWait_GrowsWhileTheRunningJobsOverrun_OnTheInjectedClock()
    {
        var tool = h.Services.GetRequiredService<ToolCatalog>().Find("pose-changer")!;
        var estimate = tool.EstimatedDuration!.Value; // nothing ran yet: the configured estimate
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            await h.RunningJobAsync();
        }

        var estimates = await h.Services.GetRequiredService<RunTimes>().EstimatesAsync(h.MaxConcurrent);
        TimeSpan WaitAfter(TimeSpan elapsed) => estimates.QueueWait(1, h.Clock.GetUtcNow().UtcDateTime + elapsed)!.Value;

        Assert.Equal(estimate, estimates.Run(tool.Key, new Dictionary<string, string>()));
        Assert.Equal(estimate, WaitAfter(TimeSpan.Zero));
        Assert.Equal(estimate - Seconds(30), WaitAfter(Seconds(30)));
        // Past the estimate the wait does not stay at nothing: it grows with the runs' overrun.
        var overrun = WaitAfter(estimate * 2);
        Assert.True(overrun > RunEstimates.MinimumLeft, $"{overrun}");
        Assert.True(WaitAfter(estimate * 4) > overrun, $"{WaitAfter(estimate * 4)} after {overrun}");
        Assert.Equal(RunEstimates.Remaining(estimate, estimate * 4), WaitAfter(estimate * 4));
    }

    [Fact]
    public async Task TheSameEstimate_ServesTheFormTheQueueAndTheRun_FromRecentRunsFirst()
    {
        var job = await h.RunningJobAsync();
        h.Clock.Advance(Seconds(30));
        await h.Finish.CompleteAsync(job.Id, [new JobOutput("https://rh.example/o.png", "9", "png")], null, JobCause.Webhook);
        h.Clock.Advance(RunTimes.KeepFor);
        var running = await h.RunningJobAsync();

        var estimates = await h.Services.GetRequiredService<RunTimes>().EstimatesAsync(h.MaxConcurrent);

        Assert.Equal(Seconds(30), estimates.Run("pose-changer", new Dictionary<string, string>())); // runs lately, not the configured 1 min 30 s
        Assert.Equal(Seconds(30), estimates.Run(running));
        Assert.Equal(Seconds(30), estimates.AnyRun);
        // A tool that did not run lately: its configured estimate, by its settings.
        Assert.Equal(TimeSpan.FromMinutes(3.5), estimates.Run("image-upscaler", new Dictionary<string, string> { ["version"] = "pro" }));
        var now = h.Clock.GetUtcNow().UtcDateTime;
        Assert.Equal(Seconds(30), estimates.Remaining(running, now));
        Assert.Equal(Seconds(15), estimates.Remaining(running, now + Seconds(60)));
    }
}
