using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.RunningHub;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>One test per transition of the state machine, the refused ones included, and R10's cost.</summary>
public sealed class TransitionTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private async Task<Job> JobInStateAsync(string status, int credits = 10)
    {
        var user = await h.CreateUserAsync(credits);
        if (status == JobStatus.Queued)
        {
            for (var i = 0; i < 3; i++)
            {
                await h.SubmitAsync(await h.CreateUserAsync());
            }
        }
        else if (status == JobStatus.Starting)
        {
            h.RunningHub.HoldStarts();
        }

        var job = (await h.SubmitAsync(user)).Job!;
        if (status == JobStatus.Running)
        {
            await h.Launcher.WhenIdleAsync();
        }

        var current = await h.GetJobAsync(job.Id);
        Assert.Equal(status, current.Status);
        return current;
    }

    private static JobFailure Failure => new(JobErrorCodes.RunningHubError, "node 27 raised OutOfMemory", "805", "node 27 raised OutOfMemory");

    [Fact]
    public async Task Running_ToCompleted_StoresOutputsUsageAndRealCost()
    {
        var job = await JobInStateAsync(JobStatus.Running);
        var usage = new TaskUsage(0.0421m, 4.21m, null, 35m);

        var result = await h.Finish.CompleteAsync(job.Id, [new JobOutput("https://rh.test/out.png", "9", "png")], usage, JobCause.Webhook);

        var done = await h.GetJobAsync(job.Id);
        Assert.Equal(TerminationOutcome.Changed, result.Outcome);
        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal("https://rh.test/out.png", Assert.Single(done.OutputFiles).Url);
        Assert.Equal(0.0421m, done.CostMoney);
        Assert.False(done.CostEstimated);
        Assert.NotNull(done.CompletedAt);
        Assert.Equal(7, await h.BalanceAsync(job.UserId));
    }

    [Fact]
    public async Task Completed_WithoutUsage_EstimatesCostFromRunTime()
    {
        var job = await JobInStateAsync(JobStatus.Running);
        h.Clock.Advance(TimeSpan.FromSeconds(100));

        await h.Finish.CompleteAsync(job.Id, [], null, JobCause.Reconcile);

        var done = await h.GetJobAsync(job.Id);
        Assert.Equal(100 * 0.0006m, done.CostMoney);
        Assert.True(done.CostEstimated);
    }

    [Fact]
    public async Task Running_ToFailed_KeepsRunningHubsWords_AndRefunds()
    {
        var job = await JobInStateAsync(JobStatus.Running);

        await h.Finish.FailAsync(job.Id, Failure with { FailedReason = """{"node_id":"27","exception_type":"OOM"}""" }, JobCause.Webhook);

        var failed = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal("805", failed.ProviderCode);
        Assert.Equal("node 27 raised OutOfMemory", failed.ErrorMessage);
        Assert.Contains("OOM", failed.FailedReason);
        Assert.Equal(10, await h.BalanceAsync(job.UserId));
    }

    [Fact]
    public async Task Starting_ToFailed_IsAllowed_ForOrphans()
    {
        var job = await JobInStateAsync(JobStatus.Starting);

        var result = await h.Finish.FailAsync(job.Id, new JobFailure(JobErrorCodes.Orphaned, "no task id"), JobCause.Sweep, [JobStatus.Starting]);

        Assert.Equal(TerminationOutcome.Changed, result.Outcome);
        Assert.Equal(10, await h.BalanceAsync(job.UserId));
    }

    [Theory]
    [InlineData(JobStatus.Queued)]
    [InlineData(JobStatus.Starting)]
    public async Task Complete_IsRefused_UnlessRunning(string status)
    {
        var job = await JobInStateAsync(status);

        var result = await h.Finish.CompleteAsync(job.Id, [], null, JobCause.Webhook);

        Assert.Equal(TerminationOutcome.Ignored, result.Outcome);
        Assert.Equal(status, (await h.GetJobAsync(job.Id)).Status);
        Assert.Equal(1, await h.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {job.Id} AND kind = 'ignored'"));
    }

    [Fact]
    public async Task Fail_IsRefused_ForQueuedJobs()
    {
        var job = await JobInStateAsync(JobStatus.Queued);

        var result = await h.Finish.FailAsync(job.Id, Failure, JobCause.Webhook);

        Assert.Equal(TerminationOutcome.Ignored, result.Outcome);
        Assert.Equal(JobStatus.Queued, (await h.GetJobAsync(job.Id)).Status);
    }

    [Theory]
    [InlineData(JobStatus.Completed)]
    [InlineData(JobStatus.Failed)]
    [InlineData(JobStatus.Cancelled)]
    public async Task TerminalStates_AreFinal(string terminal)
    {
        var job = await JobInStateAsync(JobStatus.Running);
        _ = terminal switch
        {
            JobStatus.Completed => await h.Finish.CompleteAsync(job.Id, [], null, JobCause.Webhook),
            JobStatus.Failed => await h.Finish.FailAsync(job.Id, Failure, JobCause.Webhook),
            _ => await h.Cancel.HandleAsync(new CancelJobRequest(job.Id, null, JobCause.Admin, JobErrorCodes.CancelledByAdmin, "stuck")),
        };
        var balance = await h.BalanceAsync(job.UserId);

        var outcomes = new[]
        {
            (await h.Finish.CompleteAsync(job.Id, [], null, JobCause.Webhook)).Outcome,
            (await h.Finish.FailAsync(job.Id, Failure, JobCause.Reconcile)).Outcome,
            (await h.Cancel.HandleAsync(new CancelJobRequest(job.Id, null, JobCause.Admin, JobErrorCodes.CancelledByAdmin, "again"))).Outcome,
        };

        Assert.All(outcomes, o => Assert.Equal(TerminationOutcome.Ignored, o));
        Assert.Equal(terminal, (await h.GetJobAsync(job.Id)).Status);
        Assert.Equal(balance, await h.BalanceAsync(job.UserId));
    }

    [Theory]
    [InlineData(JobStatus.Queued)]
    [InlineData(JobStatus.Starting)]
    [InlineData(JobStatus.Running)]
    public async Task Cancel_ByOwner_FromEveryActiveState_RefundsOnce(string status)
    {
        var job = await JobInStateAsync(status);

        var result = await h.Cancel.HandleAsync(new CancelJobRequest(job.Id, job.UserId, JobCause.User, JobErrorCodes.CancelledByUser, "no longer needed"));

        Assert.Equal(TerminationOutcome.Changed, result.Outcome);
        Assert.True(result.Refunded);
        var cancelled = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        Assert.NotNull(cancelled.CompletedAt);
        Assert.Equal(10, await h.BalanceAsync(job.UserId));
        Assert.Equal(status == JobStatus.Running ? 1 : 0, h.RunningHub.Cancels.Count);
    }

    [Fact]
    public async Task Cancel_ByAnotherUser_IsNotFound_AndChangesNothing()
    {
        var job = await JobInStateAsync(JobStatus.Running);
        var stranger = await h.CreateUserAsync();

        var result = await h.Cancel.HandleAsync(new CancelJobRequest(job.Id, stranger, JobCause.User, JobErrorCodes.CancelledByUser, "mine now"));

        Assert.Equal(TerminationOutcome.NotFound, result.Outcome);
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(job.Id)).Status);
        Assert.Equal(7, await h.BalanceAsync(job.UserId));
    }

    [Fact]
    public async Task Cancel_RestrictedToQueued_IsRefusedForARunningJob()
    {
        var job = await JobInStateAsync(JobStatus.Running);

        var result = await h.Cancel.HandleAsync(new CancelJobRequest(job.Id, null, JobCause.Sweep, JobErrorCodes.QueueAbandoned, "tab closed",
            AllowedFrom: [JobStatus.Queued]));

        Assert.Equal(TerminationOutcome.Ignored, result.Outcome);
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(job.Id)).Status);
    }

    [Fact]
    public async Task UnknownJob_IsNotFound()
    {
        var result = await h.Finish.CompleteAsync(Guid.NewGuid(), [], null, JobCause.Webhook);

        Assert.Equal(TerminationOutcome.NotFound, result.Outcome);
    }

    [Fact]
    public async Task EveryTransition_IsInTheEventLog_WithItsCause()
    {
        var job = await JobInStateAsync(JobStatus.Running);
        await h.Finish.CompleteAsync(job.Id, [], null, JobCause.Webhook);

        var events = await h.QueryAsync<string>(
            $"SELECT coalesce(from_status, '-') || ' ' || to_status || ' ' || cause FROM job_events WHERE job_id = {job.Id} AND kind = 'transition' ORDER BY id");

        Assert.Equal(["- starting user", "starting running system", "running completed webhook"], events);
    }
}
