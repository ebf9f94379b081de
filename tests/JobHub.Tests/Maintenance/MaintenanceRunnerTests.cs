using JobHub.Core.Maintenance;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobHub.Tests.Maintenance;

/// <summary>Runs are recorded for the dashboard; pause holds the schedule but not "Run now"; a failing sweep is recorded, not fatal.</summary>
public sealed class MaintenanceRunnerTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task Run_IsRecordedWithTriggerInstanceOutcomeAndCounts()
    {
        var run = await h.Maintenance.RunAsync(MaintenanceTaskKeys.PromoteQueue, MaintenanceTriggers.Manual);

        var stored = Assert.Single(await h.Maintenance.HistoryAsync(MaintenanceTaskKeys.PromoteQueue));
        Assert.Equal(run, stored);
        Assert.Equal(("manual", "succeeded", MaintenanceRunner.Instance), (stored.Trigger, stored.Outcome, stored.Instance));
        Assert.NotNull(stored.FinishedAt);
        Assert.Equal("""{"promoted": 0}""", stored.Counts);
    }

    [Fact]
    public async Task Paused_SkipsScheduledRuns_ButRunNowStillRuns_AndResumeRestoresTheSchedule()
    {
        await h.Maintenance.SetPausedAsync(MaintenanceTaskKeys.PromoteQueue, true, "admin@test");

        Assert.Null(await h.Maintenance.RunAsync(MaintenanceTaskKeys.PromoteQueue, MaintenanceTriggers.Schedule));
        Assert.Empty(await h.Maintenance.HistoryAsync(MaintenanceTaskKeys.PromoteQueue));
        Assert.NotNull(await h.Maintenance.RunAsync(MaintenanceTaskKeys.PromoteQueue, MaintenanceTriggers.Manual));

        await h.Maintenance.SetPausedAsync(MaintenanceTaskKeys.PromoteQueue, false, "admin@test");
        Assert.NotNull(await h.Maintenance.RunAsync(MaintenanceTaskKeys.PromoteQueue, MaintenanceTriggers.Schedule));
        Assert.Equal(2, (await h.Maintenance.HistoryAsync(MaintenanceTaskKeys.PromoteQueue)).Count);
        Assert.Equal("admin@test", await h.ScalarAsync<string>($"SELECT updated_by FROM maintenance_tasks WHERE task_key = 'promote-queue'"));
    }

    [Fact]
    public async Task UnknownTask_IsRefused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => h.Maintenance.RunAsync("drop-everything", MaintenanceTriggers.Manual));
        await Assert.ThrowsAsync<ArgumentException>(() => h.Maintenance.SetPausedAsync("drop-everything", true, null));
    }

    [Fact]
    public async Task FailingSweep_IsRecordedAsFailed_AndTheNextRunGoesOn()
    {
        var flaky = new FlakyTask();
        var runner = new MaintenanceRunner([flaky], h.Db, h.Clock, NullLogger<MaintenanceRunner>.Instance);

        var failed = await runner.RunAsync(flaky.Key, MaintenanceTriggers.Schedule);
        var succeeded = await runner.RunAsync(flaky.Key, MaintenanceTriggers.Schedule);

        Assert.Equal(("failed", "the database said no"), (failed!.Outcome, failed.Error));
        Assert.Equal("succeeded", succeeded!.Outcome);
    }

    [Fact]
    public async Task ScheduledRun_IsSkipped_WhileTheSameTaskStillRunsInThisInstance()
    {
        var slow = new SlowTask();
        var runner = new MaintenanceRunner([slow], h.Db, h.Clock, NullLogger<MaintenanceRunner>.Instance);

        var first = runner.RunAsync(slow.Key, MaintenanceTriggers.Schedule);
        await slow.Started.Task;
        Assert.Null(await runner.RunAsync(slow.Key, MaintenanceTriggers.Schedule));
        slow.Release.SetResult();

        Assert.Equal("succeeded", (await first)!.Outcome);
        Assert.Equal(1, slow.Runs);
    }

    [Fact]
    public async Task Scheduler_RunsEverySweepOnItsInterval_AndListsNextAndLastRun()
    {
        await using var harness = await EngineHarness.CreateAsync(new Dictionary<string, string?>
        {
            // Retention is not named: its own default (1 h, as the README says) applies, not DefaultInterval.
            ["JobHub:Maintenance:DefaultInterval"] = "00:00:00.300",
        });
        var scheduler = harness.Services.GetRequiredService<MaintenanceScheduler>();
        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (DateTime.UtcNow < deadline && await harness.ScalarAsync<int>(
                $"SELECT count(DISTINCT task_key)::int FROM maintenance_runs WHERE trigger = 'schedule' AND outcome = 'succeeded'") < 6)
            {
                await Task.Delay(100);
            }

            var listedAt = DateTimeOffset.UtcNow;
            var tasks = await scheduler.ListAsync();
            Assert.Equal(7, tasks.Count);
            Assert.Equal(6, await harness.ScalarAsync<int>(
                $"SELECT count(DISTINCT task_key)::int FROM maintenance_runs WHERE trigger = 'schedule' AND outcome = 'succeeded'"));
            Assert.All(tasks.Where(t => t.Key != MaintenanceTaskKeys.Retention), t => Assert.Contains(t.LastRun?.Outcome, new[] { "succeeded", "running" }));
            Assert.Null(tasks.Single(t => t.Key == MaintenanceTaskKeys.Retention).LastRun);
            // Each is scheduled: its next run is now or later (a busy machine can make a 300 ms trigger fire a few seconds late).
            Assert.All(tasks, t => Assert.True(t.NextRunAt > listedAt - TimeSpan.FromSeconds(5), $"{t.Key}: next run {t.NextRunAt:O}, listed at {listedAt:O}"));
            Assert.Equal(TimeSpan.FromHours(1), tasks.Single(t => t.Key == MaintenanceTaskKeys.Retention).Interval);
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }

        Assert.Equal(0, await harness.ScalarAsync<int>($"SELECT count(*)::int FROM maintenance_runs WHERE outcome = 'running'"));
    }

    private sealed class FlakyTask : IMaintenanceTask
    {
        private int calls;

        public string Key => "flaky";
        public string Description => "fails once";

        public Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken) =>
            Interlocked.Increment(ref calls) == 1
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
