using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Maintenance;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Maintenance;

/// <summary>
/// R7 and R8 end to end: JobHub on Kestrel with its Hangfire schedule running, against its simulator over HTTP.
/// The pose changer is configured to reconcile after 2 s and time out after 6 s; sweeps run every 500 ms.
/// </summary>
public sealed class SimulatorSweepTests
{
    private static readonly TimeSpan ReconcileAfter = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private static Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["JobHub:Maintenance:Enabled"] = "true",
            ["JobHub:Maintenance:DefaultInterval"] = "00:00:01",
            ["JobHub:Maintenance:RecheckAfter"] = "00:00:00.500",
            ["JobHub:Tools:pose-changer:ReconcileAfter"] = "00:00:02",
            ["JobHub:Tools:pose-changer:HardTimeout"] = "00:00:06",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WebhookLost_TheSweepFinishesTheJob_WithinReconcileAfterPlusOneInterval(bool taskFails)
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), new SimulatorSettings
        {
            QueuedFor = TimeSpan.FromMilliseconds(100),
            RunFor = TimeSpan.FromMilliseconds(300),
            WebhookLostRate = 1,
            FailureRate = taskFails ? 1 : 0,
        });
        var user = await hub.CreateUserAsync();
        var job = await hub.SubmitAsync(user);

        var done = await hub.WaitForJobAsync(job.Id, j => JobStatus.IsTerminal(j.Status), TimeSpan.FromSeconds(30));

        Assert.Equal(taskFails ? JobStatus.Failed : JobStatus.Completed, done.Status);
        // Reconciliation ended it, not the hard timeout: the state is RunningHub's (completed, or failed with its words, not
        // TIMEOUT) and the cause is the sweep. How soon (ReconcileAfter + one interval) is a benchmark figure
        // (./jobhub bench webhook), not a timed assertion, which a busy 2-core machine makes flaky.
        Assert.True(done.CompletedAt - done.StartedAt >= ReconcileAfter - Interval, "reconciled before ReconcileAfter");
        Assert.Equal(0, hub.Simulator.WebhooksSent);
        Assert.Equal("sweep", await hub.ScalarAsync<string>(
            $"SELECT cause FROM job_events WHERE job_id = {job.Id} AND kind = 'transition' AND to_status = {done.Status}"));
        if (taskFails)
        {
            Assert.Equal(("CUDA out of memory (simulated)", JobErrorCodes.RunningHubError), (done.ErrorMessage, done.ErrorCode));
            Assert.Equal(10, await hub.BalanceAsync(user));
        }
        else
        {
            var output = Assert.Single(done.OutputFiles);
            Assert.Contains("/rh/files/openapi/", output.Url);
            Assert.Equal(7, await hub.BalanceAsync(user));
        }
    }

    [Fact]
    public async Task TaskThatNeverFinishes_IsCancelledAtRunningHub_AndFailsTimeout_WithARefund()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), new SimulatorSettings { RunFor = TimeSpan.FromHours(1) });
        var user = await hub.CreateUserAsync();
        var job = await hub.SubmitAsync(user);

        var done = await hub.WaitForJobAsync(job.Id, j => JobStatus.IsTerminal(j.Status), TimeSpan.FromSeconds(30));

        Assert.Equal((JobStatus.Failed, JobErrorCodes.Timeout), (done.Status, done.ErrorCode));
        Assert.Equal(SimTaskStatus.Cancelled, hub.Simulator.Tasks.Single().Status);
        Assert.Equal(10, await hub.BalanceAsync(user));
    }

    [Fact]
    public async Task StartThatNeverAnswers_LeavesAnOrphan_ThatFailsAndRefunds()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(new()
        {
            ["JobHub:OrphanAfter"] = "00:00:02",
            ["JobHub:RunningHub:CallTimeout"] = "00:01:00",
            ["JobHub:Drain:StopTimeout"] = "00:00:03", // the hung launch is waited for at the end, then given up
        }), new SimulatorSettings { StartHangs = true });
        var user = await hub.CreateUserAsync();
        var job = await hub.SubmitAsync(user);

        var done = await hub.WaitForJobAsync(job.Id, j => JobStatus.IsTerminal(j.Status), TimeSpan.FromSeconds(30));

        Assert.Equal((JobStatus.Failed, JobErrorCodes.Orphaned), (done.Status, done.ErrorCode));
        Assert.Null(done.TaskId);
        Assert.Equal(10, await hub.BalanceAsync(user));
    }

    [Fact]
    public async Task AbandonedQueuedJob_IsCancelled_AndTheQueueMovesOn()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(new()
        {
            ["JobHub:MaxConcurrent"] = "1",
            ["JobHub:QueueHeartbeatTimeout"] = "00:00:02",
        }), new SimulatorSettings { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromSeconds(4) });
        var first = await hub.SubmitAsync(await hub.CreateUserAsync());
        var abandoned = await hub.SubmitAsync(await hub.CreateUserAsync());
        var kept = await hub.SubmitAsync(await hub.CreateUserAsync());
        Assert.Equal((JobStatus.Queued, JobStatus.Queued), (abandoned.Status, kept.Status));

        // The page of the third job stays open and beats; the second's tab was closed.
        using var stop = new CancellationTokenSource();
        var heartbeat = (QueueHeartbeat)hub.Services.GetService(typeof(QueueHeartbeat))!;
        var beating = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await heartbeat.BeatAsync(kept.Id, kept.UserId);
                await Task.Delay(300);
            }
        });

        var cancelled = await hub.WaitForJobAsync(abandoned.Id, j => JobStatus.IsTerminal(j.Status));
        Assert.Equal((JobStatus.Cancelled, JobErrorCodes.QueueAbandoned), (cancelled.Status, cancelled.ErrorCode));
        Assert.Equal(10, await hub.BalanceAsync(abandoned.UserId));

        var started = await hub.WaitForJobAsync(kept.Id, j => j.Status == JobStatus.Running, TimeSpan.FromSeconds(30));
        stop.Cancel();
        await beating;
        Assert.Equal(JobStatus.Running, started.Status);
        Assert.Equal(JobStatus.Completed, (await hub.GetJobAsync(first.Id)).Status);
        // The sweep ran on its schedule, through Hangfire, and Hangfire recorded it.
        Assert.Contains(hub.Services.GetRequiredService<MaintenanceRunner>().History(MaintenanceTaskKeys.AbandonedQueue),
            run => run is { Trigger: MaintenanceTriggers.Schedule, Outcome: "succeeded" });
    }
}
