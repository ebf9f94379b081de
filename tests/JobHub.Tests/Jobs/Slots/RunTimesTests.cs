using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>
/// The recent run times the tool pages show: medians per tool and over all tools from the latest completed jobs, and one
/// read shared for a minute.
/// </summary>
public sealed class RunTimesTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private RunTimes Times => h.Services.GetRequiredService<RunTimes>();

    /// <summary>A job of <paramref name="tool"/> that ran for <paramref name="seconds"/>, then completed (or failed).</summary>
    private async Task RanAsync(string tool, int seconds, bool fails = false)
    {
        var job = await h.RunningJobAsync(toolKey: tool);
        h.Clock.Advance(TimeSpan.FromSeconds(seconds));
        if (fails)
        {
            await h.Finish.FailAsync(job.Id, new JobFailure(JobErrorCodes.RunningHubError, "CUDA out of memory", "805"), JobCause.Webhook);
        }
        else
        {
            await h.Finish.CompleteAsync(job.Id, [new JobOutput("https://rh.example/o.png", "9", "png")], null, JobCause.Webhook);
        }
    }

    [Fact]
    public async Task WithNoCompletedJob_ThereIsNoEstimate()
    {
        await RanAsync("pose-changer", 40, fails: true); // a failed run says nothing about how long runs take

        var times = await Times.GetAsync();

        Assert.Null(times.For("pose-changer"));
        Assert.Null(times.AllTools);
    }

    [Fact]
    public async Task Medians_PerToolAndOverAll()
    {
        await RanAsync("pose-changer", 60);
        await RanAsync("pose-changer", 90);
        await RanAsync("pose-changer", 300);
        await RanAsync("video-upscaler", 30);
        h.Clock.Advance(RunTimes.KeepFor);

        var times = await Times.GetAsync();

        Assert.Equal(TimeSpan.FromSeconds(90), times.For("pose-changer"));
        Assert.Equal(TimeSpan.FromSeconds(30), times.For("video-upscaler"));
        Assert.Null(times.For("virtual-try-on"));
        Assert.Equal(TimeSpan.FromSeconds(75), times.AllTools); // the median of 30, 60, 90 and 300
    }

    [Fact]
    public async Task OneRead_ServesEveryPage_ForAMinute()
    {
        await RanAsync("pose-changer", 60);
        var first = await Times.GetAsync();
        Assert.Equal(TimeSpan.FromSeconds(60), first.For("pose-changer"));

        await RanAsync("pose-changer", 20); // 20 s later: still the same read
        await RanAsync("pose-changer", 20);
        Assert.Same(first, await Times.GetAsync());

        h.Clock.Advance(RunTimes.KeepFor);
        Assert.Equal(TimeSpan.FromSeconds(20), (await Times.GetAsync()).For("pose-changer"));
    }
}
