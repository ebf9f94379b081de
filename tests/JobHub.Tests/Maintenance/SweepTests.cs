using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Maintenance;
using JobHub.Core.RunningHub;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Maintenance;

/// <summary>R7, R8 and R12's back-up: each sweep, on the engine with a test clock and a scripted RunningHub.</summary>
public sealed class SweepTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private async Task<MaintenanceRun> RunAsync(string key)
    {
        var run = await h.Maintenance.RunNowAsync(key);
        Assert.NotNull(run);
        Assert.Equal("succeeded", run.Outcome);
        await h.Launcher.WhenIdleAsync();
        return run;
    }

    private static TaskQueryResult Success(string url) =>
        new(CallOutcome.Success, RemoteTaskStatus.Success, [new TaskOutput(url, "9", "png")], null, RawStatus: "SUCCESS");

    [Fact]
    public async Task ReconcileSweep_LeavesYoungJobsAlone_AndFinishesJobsPastReconcileAfter()
    {
        var job = await h.RunningJobAsync();
        h.RunningHub.QueryAnswer = _ => Success("https://rh.test/out.png");

        h.Clock.Advance(TimeSpan.FromMinutes(2)); // pose-changer: ReconcileAfter is 3 minutes
        await RunAsync(MaintenanceTaskKeys.ReconcileRunning);
        Assert.Empty(h.RunningHub.Queries);
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(job.Id)).Status);

        h.Clock.Advance(TimeSpan.FromMinutes(1.5));
        var run = await RunAsync(MaintenanceTaskKeys.ReconcileRunning);

        var done = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal("https://rh.test/out.png", Assert.Single(done.OutputFiles).Url);
        Assert.Contains("\"completed\":1", run.Counts);
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id} AND to_status = 'completed' AND cause = 'sweep'"));
    }

    [Fact]
    public async Task ReconcileSweep_SkipsAJobThePageCheckedAMomentAgo()
    {
        var job = await h.RunningJobAsync();
        h.Clock.Advance(TimeSpan.FromMinutes(4));
        await h.Reconcile.HandleAsync(job.Id, JobCause.User, job.UserId);
        h.Clock.Advance(TimeSpan.FromSeconds(3));

        await RunAsync(MaintenanceTaskKeys.ReconcileRunning);
        Assert.Single(h.RunningHub.Queries);

        h.Clock.Advance(TimeSpan.FromSeconds(10));
        await RunAsync(MaintenanceTaskKeys.ReconcileRunning);
        Assert.Equal(2, h.RunningHub.Queries.Count);
    }

    [Fact]
    public async Task ReconcileSweep_CancelsAtRunningHubAndFailsTimeout_PastTheHardTimeout_AndTheQueueMovesOn()
    {
        var job = await h.RunningJobAsync();
        for (var i = 1; i < h.MaxConcurrent; i++)
        {
            await h.RunningJobAsync();
        }

        var waiting = (await h.SubmitAsync(await h.CreateUserAsync())).Job!;
        Assert.Equal(JobStatus.Queued, waiting.Status);
        h.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1)); // pose-changer: HardTimeout is 10 minutes

        var run = await RunAsync(MaintenanceTaskKeys.ReconcileRunning);

        var failed = await h.GetJobAsync(job.Id);
        Assert.Equal((JobStatus.Failed, JobErrorCodes.Timeout), (failed.Status, failed.ErrorCode));
        Assert.Contains((job.AccountKey!, job.TaskId!), h.RunningHub.Cancels);
        Assert.Equal(10, await h.BalanceAsync(job.UserId));
        Assert.Contains("\"timed_out\":3", run.Counts);
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(waiting.Id)).Status);
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task ReconcileSweep_PastTheHardTimeout_StillTakesRunningHubsVerdictFirst()
    {
        var job = await h.RunningJobAsync();
        h.RunningHub.QueryAnswer = _ => Success("https://rh.test/late.png");
        h.Clock.Advance(TimeSpan.FromMinutes(11));

        await RunAsync(MaintenanceTaskKeys.ReconcileRunning);

        Assert.Equal(JobStatus.Completed, (await h.GetJobAsync(job.Id)).Status);
        Assert.Empty(h.RunningHub.Cancels);
    }

    [Fact]
    public async Task OrphanSweep_FailsStartingJobsWithoutTaskAfterOrphanAfter_AndRefunds()
    {
        h.RunningHub.HoldStarts();
        var user = await h.CreateUserAsync(10);
        var job = (await h.SubmitAsync(user)).Job!;
        Assert.Equal(JobStatus.Starting, job.Status);
        // The launch really is at RunningHub, waiting for its answer (on a busy machine it may not have got there yet;
        // a launch that finds its job already failed starts nothing, which is right but not this test's case).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (h.RunningHub.Starts.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Single(h.RunningHub.Starts);

        h.Clock.Advance(TimeSpan.FromSeconds(60));
        await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.OrphanedStarting);
        Assert.Equal(JobStatus.Starting, (await h.GetJobAsync(job.Id)).Status);

        h.Clock.Advance(TimeSpan.FromSeconds(31));
        await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.OrphanedStarting);

        var failed = await h.GetJobAsync(job.Id);
        Assert.Equal((JobStatus.Failed, JobErrorCodes.Orphaned), (failed.Status, failed.ErrorCode));
        Assert.Equal(10, await h.BalanceAsync(user));

        // The launch that was stuck answers at last: the task it started is cancelled at RunningHub, the job stays failed.
        h.RunningHub.ReleaseHeldStarts();
        await h.Launcher.WhenIdleAsync();
        Assert.Single(h.RunningHub.Cancels);
        Assert.Equal(JobStatus.Failed, (await h.GetJobAsync(job.Id)).Status);
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task AbandonedQueueSweep_CancelsSilentQueuedJobs_KeepsOnesWithAHeartbeat_AndTheQueueMovesOn()
    {
        var running = new List<Job>();
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            running.Add(await h.RunningJobAsync());
        }

        var silent = (await h.SubmitAsync(await h.CreateUserAsync(10))).Job!;
        var alive = (await h.SubmitAsync(await h.CreateUserAsync(10))).Job!;
        var heartbeat = h.Services.GetService(typeof(QueueHeartbeat)) as QueueHeartbeat;

        h.Clock.Advance(TimeSpan.FromSeconds(90));
        Assert.True(await heartbeat!.BeatAsync(alive.Id, alive.UserId));
        Assert.False(await heartbeat.BeatAsync(alive.Id, silent.UserId)); // not the owner
        h.Clock.Advance(TimeSpan.FromSeconds(40));

        var run = await RunAsync(MaintenanceTaskKeys.AbandonedQueue);

        var cancelled = await h.GetJobAsync(silent.Id);
        Assert.Equal((JobStatus.Cancelled, JobErrorCodes.QueueAbandoned), (cancelled.Status, cancelled.ErrorCode));
        Assert.Equal(10, await h.BalanceAsync(silent.UserId));
        Assert.Equal(JobStatus.Queued, (await h.GetJobAsync(alive.Id)).Status);
        Assert.Equal(1, await h.Queue.PositionAsync(alive.Id));
        Assert.Contains("\"cancelled\":1", run.Counts);

        // A slot frees: the live job, now the head, starts.
        await h.Finish.CompleteAsync(running[0].Id, [], null, JobCause.Webhook);
        await h.Launcher.WhenIdleAsync();
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(alive.Id)).Status);
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task QueueMaxWaitSweep_CancelsJobsQueuedTooLong_EvenWithHeartbeats()
    {
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            await h.RunningJobAsync();
        }

        var waiting = (await h.SubmitAsync(await h.CreateUserAsync(10))).Job!;
        var heartbeat = (QueueHeartbeat)h.Services.GetService(typeof(QueueHeartbeat))!;
        h.Clock.Advance(TimeSpan.FromMinutes(29));
        await heartbeat.BeatAsync(waiting.Id, waiting.UserId);
        await RunAsync(MaintenanceTaskKeys.QueueMaxWait);
        Assert.Equal(JobStatus.Queued, (await h.GetJobAsync(waiting.Id)).Status);

        h.Clock.Advance(TimeSpan.FromMinutes(1.5));
        await heartbeat.BeatAsync(waiting.Id, waiting.UserId);
        await RunAsync(MaintenanceTaskKeys.QueueMaxWait);

        var cancelled = await h.GetJobAsync(waiting.Id);
        Assert.Equal((JobStatus.Cancelled, JobErrorCodes.QueueMaxWait), (cancelled.Status, cancelled.ErrorCode));
        Assert.Equal(10, await h.BalanceAsync(waiting.UserId));
    }

    [Fact]
    public async Task PromoteSweep_StartsTheHead_WhenASlotIsFreeAndNobodyPromoted()
    {
        var running = new List<Job>();
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            running.Add(await h.RunningJobAsync());
        }

        var waiting = (await h.SubmitAsync(await h.CreateUserAsync())).Job!;

        // A slot freed by a path that died before promoting (an instance killed between commit and launch).
        await h.ScalarAsync<int>($"UPDATE jobs SET status = 'completed', completed_at = now() WHERE id = {running[0].Id} RETURNING 1");
        Assert.Equal(JobStatus.Queued, (await h.GetJobAsync(waiting.Id)).Status);

        var run = await RunAsync(MaintenanceTaskKeys.PromoteQueue);

        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(waiting.Id)).Status);
        Assert.Contains("\"promoted\":1", run.Counts);
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {waiting.Id} AND to_status = 'starting' AND cause = 'sweep'"));
    }

    [Fact]
    public async Task Sweeps_RunByTwoInstancesAtOnce_ChangeEachJobOnce()
    {
        var jobs = new List<Job>();
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            jobs.Add(await h.RunningJobAsync());
        }

        var queued = new List<Job>();
        for (var i = 0; i < 4; i++)
        {
            queued.Add((await h.SubmitAsync(await h.CreateUserAsync(10))).Job!);
        }

        h.RunningHub.QueryAnswer = _ => new TaskQueryResult(CallOutcome.Success, RemoteTaskStatus.Failed, [], null, "805", "boom", RawStatus: "FAILED");
        h.Clock.Advance(TimeSpan.FromMinutes(5));

        // Two copies of each sweep at once, as two instances would run them (the runner's gate is per instance, so bypass it).
        foreach (var key in new[] { MaintenanceTaskKeys.AbandonedQueue, MaintenanceTaskKeys.ReconcileRunning })
        {
            var task = h.Maintenance.Tasks.Single(t => t.Key == key);
            await Task.WhenAll(task.RunAsync(CancellationToken.None), task.RunAsync(CancellationToken.None));
            await h.Launcher.WhenIdleAsync();
        }

        foreach (var job in jobs.Concat(queued))
        {
            Assert.True(await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id} AND kind = 'transition' AND to_status IN ('failed', 'cancelled')") <= 1);
        }

        Assert.All(jobs, job => Assert.Equal(JobStatus.Failed, h.GetJobAsync(job.Id).Result.Status));
        Assert.All(queued, job => Assert.Equal(JobStatus.Cancelled, h.GetJobAsync(job.Id).Result.Status));
        Assert.True(await h.MaxInSlotFromEventsAsync() <= h.MaxConcurrent);
        await h.AssertCreditsConsistentAsync();
    }
}
