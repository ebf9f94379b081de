using Hangfire;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Maintenance;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Maintenance;

/// <summary>
/// Two JobHub instances on one database, each with its Hangfire server, both registering the schedule: every sweep
/// runs once per tick, not once per instance, and "Run now" asked of one instance is done by either. Output copies are
/// Hangfire jobs in the database: one instance's copies are done by another when it stops, before or during the copy.
/// </summary>
public sealed class TwoInstancesTests
{
    private static readonly Dictionary<string, string?> EverySecond = new() { ["JobHub:Maintenance:DefaultInterval"] = "00:00:01" };

    [Fact]
    public async Task EachRecurringRun_HappensOncePerTick_NotOncePerInstance()
    {
        await using var first = await EngineHarness.CreateAsync(EverySecond);
        await using var second = await EngineHarness.CreateAsync(EverySecond, sharedDatabase: first.DatabaseName);
        await first.Schedule.StartAsync(CancellationToken.None);
        await second.Schedule.StartAsync(CancellationToken.None);
        // Two Hangfire servers an instance: the sweeps' and the copies'.
        Assert.Equal(4, first.Services.GetRequiredService<JobStorage>().GetMonitoringApi().Servers().Count);

        var since = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(8));
        var until = DateTime.UtcNow;

        List<MaintenanceRun> InWindow() => first.Maintenance.History(MaintenanceTaskKeys.PromoteQueue, 100)
            .Where(r => r.Trigger == MaintenanceTriggers.Schedule && r.StartedAt >= since && r.StartedAt <= until).ToList();
        // A run that started just before the window closed may still be under way: each is read once it has ended.
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(InWindow().All(r => r.Outcome != "running")), TimeSpan.FromSeconds(10)),
            "a run in the window never ended");
        var runs = InWindow();
        var ticks = (until - since).TotalSeconds;
        // One run a second (a tick or two may be late on a busy machine), never two: twice would be once per instance.
        Assert.InRange(runs.Count, (int)(ticks / 2), (int)Math.Ceiling(ticks) + 1);
        Assert.All(runs, run => Assert.Equal("succeeded", run.Outcome));
    }

    [Fact]
    public async Task RunNow_OnOneInstance_IsDoneByEither_AndBothSeeItsRecord()
    {
        await using var first = await EngineHarness.CreateAsync();
        await using var second = await EngineHarness.CreateAsync(sharedDatabase: first.DatabaseName);

        var runs = new List<MaintenanceRun>();
        for (var i = 0; i < 6; i++)
        {
            runs.Add(await first.Maintenance.RunNowAsync(MaintenanceTaskKeys.PromoteQueue));
        }

        Assert.All(runs, run => Assert.Equal("succeeded", run.Outcome));
        Assert.Equal(runs.Select(r => r.Id).Order(), second.Maintenance.History(MaintenanceTaskKeys.PromoteQueue).Select(r => r.Id).Order());
    }

    [Fact]
    public async Task ACopy_EnqueuedByAnInstanceThatStops_IsDoneByAnother()
    {
        await using var files = await OutputFileServer.StartAsync();
        var copiesNothing = new Dictionary<string, string?>(files.AllowedHostSettings()) { ["JobHub:Maintenance:OutputCopyWorkers"] = "0" };
        await using var owner = await EngineHarness.CreateAsync(copiesNothing); // keeps the database; copies nothing either
        var completing = await EngineHarness.CreateAsync(copiesNothing, sharedDatabase: owner.DatabaseName);
        var job = await completing.RunningJobAsync();
        await completing.Finish.CompleteAsync(job.Id, [new JobOutput(files.BaseUrl + "/out/result.png", "9", "image")], null, JobCause.Webhook);
        await completing.Services.GetRequiredService<CopyOutputs>().WhenIdleAsync(); // the copy is enqueued
        await completing.DisposeAsync(); // and the instance that enqueued it is gone

        await Task.Delay(1500);
        var waiting = await owner.GetJobAsync(job.Id);
        Assert.NotNull(waiting.OutputCopyJobId);
        Assert.True(waiting.OutputsCopiedAt is null && files.Requests == 0, "copied by an instance without copy workers");

        await using var other = await EngineHarness.CreateAsync(files.AllowedHostSettings(), sharedDatabase: owner.DatabaseName);
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await owner.GetJobAsync(job.Id)).OutputsCopiedAt is not null), "never copied");
        Assert.Equal(1, files.Requests);
    }

    [Fact]
    public async Task ACopy_UnderWayWhenItsInstanceStops_IsFinishedByAnother()
    {
        await using var files = await OutputFileServer.StartAsync();
        await using var owner = await EngineHarness.CreateAsync(new Dictionary<string, string?>(files.AllowedHostSettings())
        {
            ["JobHub:Maintenance:OutputCopyWorkers"] = "0",
        });
        var copying = await EngineHarness.CreateAsync(files.AllowedHostSettings(), sharedDatabase: owner.DatabaseName);
        var job = await copying.RunningJobAsync();
        await copying.Finish.CompleteAsync(job.Id, [new JobOutput(files.BaseUrl + "/out/held.png", "9", "image")], null, JobCause.Webhook);
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(files.HeldRequests == 1)), "the copy did not start");

        await copying.DisposeAsync(); // mid-download
        Assert.True((await owner.GetJobAsync(job.Id)).OutputsCopiedAt is null);
        files.Release();
        await using var other = await EngineHarness.CreateAsync(files.AllowedHostSettings(), sharedDatabase: owner.DatabaseName);

        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await owner.GetJobAsync(job.Id)).OutputsCopiedAt is not null), "never copied");
        var copied = await owner.GetJobAsync(job.Id);
        Assert.Equal(1, copied.OutputCopyAttempts); // the stopped attempt is not counted as a failed one
        Assert.Equal(2, files.HeldRequests);
    }
}
