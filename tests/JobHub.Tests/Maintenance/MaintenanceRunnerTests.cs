using Hangfire;
using Hangfire.Storage;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Maintenance;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Maintenance;

/// <summary>
/// The sweeps run as Hangfire jobs on PostgreSQL: a run is recorded by Hangfire (trigger, instance, outcome, counts) and
/// read back for the dashboard; pausing removes the recurring job (a paused sweep runs on no instance) but not
/// "Run now"; a failing sweep is recorded as failed, not retried, and the next run goes on.
/// </summary>
public sealed class MaintenanceRunnerTests : IAsyncLifetime
{
    private readonly FlakyTask flaky = new();
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync(configure: services => services.AddSingleton<IMaintenanceTask>(flaky));

    public async Task DisposeAsync() => await h.DisposeAsync();

    private IReadOnlyList<string> RecurringJobIds()
    {
        using var connection = h.Services.GetRequiredService<JobStorage>().GetConnection();
        return connection.GetRecurringJobs().Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task RunNow_RunsThroughHangfire_AndTheRunIsReadBackWithTriggerInstanceOutcomeAndCounts()
    {
        var run = await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.PromoteQueue);

        Assert.Equal(("manual", "succeeded", """{"promoted":0}"""), (run.Trigger, run.Outcome, run.Counts));
        Assert.StartsWith($"{Environment.MachineName}:{Environment.ProcessId}".ToLowerInvariant(), run.Instance!.ToLowerInvariant());
        Assert.NotNull(run.FinishedAt);
        Assert.Equal(run, Assert.Single(h.Maintenance.History(MaintenanceTaskKeys.PromoteQueue)));
        Assert.Empty(h.Maintenance.History(MaintenanceTaskKeys.Retention));
    }

    [Fact]
    public async Task TheListedLastRun_IsTheNewest_ARunNowAfterAScheduledTick()
    {
        await h.Schedule.ApplyAsync();
        var tick = ((IRecurringJobManagerV2)h.Services.GetRequiredService<IRecurringJobManager>()).TriggerJob(MaintenanceTaskKeys.PromoteQueue);
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(h.Maintenance.Run(tick!) is { FinishedAt: not null })));
        // Paused, so that no later scheduled tick lands between the manual run and the listing.
        await h.Schedule.SetPausedAsync(MaintenanceTaskKeys.PromoteQueue, true, "admin@test");

        var manual = await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.PromoteQueue);

        var listed = (await h.Schedule.ListAsync()).Single(t => t.Key == MaintenanceTaskKeys.PromoteQueue).LastRun;
        Assert.Equal((manual.Id, MaintenanceTriggers.Manual, "succeeded"), (listed?.Id, listed?.Trigger, listed?.Outcome));
    }

    [Fact]
    public async Task Pause_RemovesTheRecurringJob_ScheduledRunsAreSkipped_RunNowStillRuns_AndResumeSchedulesItAgain()
    {
        await h.Schedule.ApplyAsync();
        Assert.Contains(MaintenanceTaskKeys.PromoteQueue, RecurringJobIds());

        await h.Schedule.SetPausedAsync(MaintenanceTaskKeys.PromoteQueue, true, "admin@test");

        Assert.DoesNotContain(MaintenanceTaskKeys.PromoteQueue, RecurringJobIds());
        Assert.Equal(7, RecurringJobIds().Count); // the seven sweeps and this test's flaky one, less the paused one
        // A tick already on its way when the pause was set does nothing.
        var skipped = await h.Maintenance.RunAsync(MaintenanceTaskKeys.PromoteQueue, MaintenanceTriggers.Schedule, CancellationToken.None);
        Assert.Equal(1, skipped["skipped_paused"]);
        Assert.Equal("succeeded", (await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.PromoteQueue)).Outcome);
        // An instance starting while it is paused leaves it paused.
        await h.Schedule.ApplyAsync();
        Assert.DoesNotContain(MaintenanceTaskKeys.PromoteQueue, RecurringJobIds());
        Assert.True((await h.Schedule.ListAsync()).Single(t => t.Key == MaintenanceTaskKeys.PromoteQueue).Paused);

        await h.Schedule.SetPausedAsync(MaintenanceTaskKeys.PromoteQueue, false, "admin@test");
        Assert.Contains(MaintenanceTaskKeys.PromoteQueue, RecurringJobIds());
        Assert.Equal("admin@test", await h.ScalarAsync<string>($"SELECT updated_by FROM maintenance_tasks WHERE task_key = 'promote-queue'"));
    }

    [Fact]
    public async Task UnknownTask_IsRefused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => h.Maintenance.RunNowAsync("drop-everything"));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Schedule.SetPausedAsync("drop-everything", true, null));
    }

    [Fact]
    public async Task FailingSweep_IsRecordedAsFailed_IsNotRetried_AndTheNextRunGoesOn()
    {
        var failed = await h.Maintenance.RunNowAsync(flaky.Key);
        var succeeded = await h.Maintenance.RunNowAsync(flaky.Key);

        Assert.Equal(("failed", "the database said no"), (failed.Outcome, failed.Error));
        Assert.Equal("succeeded", succeeded.Outcome);
        Assert.Equal(2, flaky.Calls);
        Assert.Equal(["succeeded", "failed"], h.Maintenance.History(flaky.Key).Select(r => r.Outcome));
    }

    [Fact]
    public async Task ScheduledRun_IsSkipped_WhileTheSameTaskStillRunsInThisInstance()
    {
        var slow = new SlowTask();
        await using var harness = await EngineHarness.CreateAsync(configure: services => services.AddSingleton<IMaintenanceTask>(slow));

        var first = harness.Maintenance.RunAsync(slow.Key, MaintenanceTriggers.Schedule, CancellationToken.None);
        await slow.Started.Task;
        var second = await harness.Maintenance.RunAsync(slow.Key, MaintenanceTriggers.Schedule, CancellationToken.None);
        slow.Release.SetResult();

        Assert.Equal(1, second["skipped_still_running"]);
        await first;
        Assert.Equal(1, slow.Runs);
    }

    [Fact]
    public async Task ASweepLockLeftTaken_DoesNotStopStartUp_AndItsScheduleIsAppliedOnceTheLockIsFree()
    {
        // An instance killed while it scheduled promote-queue left Hangfire's lock of it taken (as a SIGKILL in the chaos run
        // did, and the restarted instance then failed to start). Such a lock is abandoned after seconds now, shorter than
        // start-up's wait; this one is dated ahead, so that it stays taken past that wait as a lock still in use would.
        var storage = h.Services.GetRequiredService<JobStorage>();
        h.Services.GetRequiredService<IRecurringJobManager>().RemoveIfExists(MaintenanceTaskKeys.PromoteQueue);
        using var connection = storage.GetConnection();
        var held = connection.AcquireDistributedLock("lock:recurring-job:" + MaintenanceTaskKeys.PromoteQueue, TimeSpan.FromSeconds(5));
        Assert.Equal(1, await h.Db.ExecuteAsync(
            $"UPDATE hangfire.lock SET acquired = now() + interval '1 hour' WHERE resource = {"hangfire:lock:recurring-job:" + MaintenanceTaskKeys.PromoteQueue}"));
        try
        {
            await h.Schedule.StartAsync(CancellationToken.None); // waits Hangfire's 15 s for the lock, then goes on

            Assert.DoesNotContain(MaintenanceTaskKeys.PromoteQueue, RecurringJobIds());
            Assert.Contains(MaintenanceTaskKeys.ReconcileRunning, RecurringJobIds());
            Assert.Contains(MaintenanceTaskKeys.CopyOutputs, RecurringJobIds());
        }
        finally
        {
            held.Dispose();
        }

        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(RecurringJobIds().Contains(MaintenanceTaskKeys.PromoteQueue)),
            TimeSpan.FromSeconds(30)), "the schedule of promote-queue was never applied");
        await h.Schedule.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Schedule_RunsEverySweepOnItsInterval_OncePerTick_AndListsNextAndLastRun()
    {
        await using var harness = await EngineHarness.CreateAsync(new Dictionary<string, string?>
        {
            // Retention is not named: its own default (1 h, as docs/configuration.md says) applies, not DefaultInterval.
            ["JobHub:Maintenance:DefaultInterval"] = "00:00:01",
        });
        await harness.Schedule.StartAsync(CancellationToken.None);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        IReadOnlyList<MaintenanceTaskStatus> tasks;
        while (true)
        {
            tasks = await harness.Schedule.ListAsync();
            if (tasks.Count(t => t.LastRun is { Trigger: MaintenanceTriggers.Schedule, Outcome: "succeeded" }) >= 6 || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(200);
        }

        var listedAt = DateTimeOffset.UtcNow;
        Assert.Equal(7, tasks.Count);
        Assert.All(tasks.Where(t => t.Key != MaintenanceTaskKeys.Retention),
            t => Assert.Equal((MaintenanceTriggers.Schedule, "succeeded"), (t.LastRun?.Trigger, t.LastRun?.Outcome)));
        Assert.Null(tasks.Single(t => t.Key == MaintenanceTaskKeys.Retention).LastRun);
        Assert.All(tasks, t => Assert.True(t.NextRunAt > listedAt - TimeSpan.FromSeconds(5), $"{t.Key}: next run {t.NextRunAt:O}, listed at {listedAt:O}"));
        Assert.Equal(TimeSpan.FromHours(1), tasks.Single(t => t.Key == MaintenanceTaskKeys.Retention).Interval);
        Assert.Equal("*/1 * * * * *", MaintenanceSchedule.CronFor(TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("00:00:00.300", "*/1 * * * * *")]
    [InlineData("00:00:15", "*/15 * * * * *")]
    [InlineData("00:00:07", "*/6 * * * * *")]
    [InlineData("00:05:00", "0 */5 * * * *")]
    [InlineData("01:00:00", "0 0 */1 * * *")]
    [InlineData("2.00:00:00", "0 0 0 * * *")]
    public void Interval_BecomesACronThatRunsAtLeastAsOften(string interval, string cron) =>
        Assert.Equal(cron, MaintenanceSchedule.CronFor(TimeSpan.Parse(interval)));

    private sealed class FlakyTask : IMaintenanceTask
    {
        public int Calls;

        public string Key => "flaky";
        public string Description => "fails once";

        public Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken) =>
            Interlocked.Increment(ref Calls) == 1
                ? throw new InvalidOperationException("the database said no")
                : Task.FromResult(new MaintenanceCounts());
    }

    private sealed class SlowTask : IMaintenanceTask
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Runs;

        public string Key => "slow";
        public string Description => "waits";

        public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Runs);
            Started.SetResult();
            await Release.Task;
            return new MaintenanceCounts();
        }
    }
}
