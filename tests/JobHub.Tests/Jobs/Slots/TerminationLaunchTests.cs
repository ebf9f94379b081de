using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.RunningHub;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>R12: a slot a termination frees goes to the head of the queue, and that job is launched, whichever path ended the job.</summary>
public sealed class TerminationLaunchTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Theory]
    [InlineData("complete")]
    [InlineData("fail")]
    [InlineData("cancel")]
    [InlineData("launch failure")]
    [InlineData("termination alone")]
    public async Task AJobPromotedByATermination_IsLaunched(string path)
    {
        var running = new List<Job>();
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            running.Add(await h.RunningJobAsync());
        }

        // For a launch failure, the job promoted first fails to start, and its termination promotes the next.
        var failing = path == "launch failure" ? (await h.SubmitAsync(await h.CreateUserAsync())).Job! : null;
        var waiting = (await h.SubmitAsync(await h.CreateUserAsync())).Job!;
        Assert.Equal(JobStatus.Queued, waiting.Status);
        if (failing is not null)
        {
            h.RunningHub.ScriptedStarts.Enqueue(new StartResult(CallOutcome.Error, null, "433", "prompt validation failed"));
        }

        var ended = running[0];
        var failure = new JobFailure(JobErrorCodes.RunningHubError, "CUDA out of memory", "805", "CUDA out of memory");
        var result = path switch
        {
            "complete" or "launch failure" => await h.Finish.CompleteAsync(ended.Id, [], null, JobCause.Webhook),
            "fail" => await h.Finish.FailAsync(ended.Id, failure, JobCause.Webhook),
            "cancel" => await h.Cancel.HandleAsync(new CancelJobRequest(ended.Id, ended.UserId, JobCause.User, JobErrorCodes.CancelledByUser, "test")),
            _ => await h.Services.GetRequiredService<JobTermination>().FailAsync(ended.Id, failure, JobCause.Sweep),
        };
        await h.Launcher.WhenIdleAsync();

        Assert.Equal(TerminationOutcome.Changed, result.Outcome);
        Assert.Equal([failing?.Id ?? waiting.Id], result.Promoted);
        if (failing is not null)
        {
            Assert.Equal(JobStatus.Failed, (await h.GetJobAsync(failing.Id)).Status);
        }

        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(waiting.Id)).Status);
        await h.AssertCreditsConsistentAsync();
    }
}
