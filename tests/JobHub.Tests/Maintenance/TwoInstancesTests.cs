using Hangfire;
using JobHub.Core.Maintenance;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Maintenance;

/// <summary>
/// Two JobHub instances on one database, each with its Hangfire server, both registering the schedule: every sweep
/// runs once per tick, not once per instance, and "Run now" asked of one instance is done by either.
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
        Assert.Equal(2, first.Services.GetRequiredService<JobStorage>().GetMonitoringApi().Servers().Count);

        var since = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(8));
        var until = DateTime.UtcNow;

        var runs = first.Maintenance.History(MaintenanceTaskKeys.PromoteQueue, 100)
            .Where(r => r.Trigger == MaintenanceTriggers.Schedule && r.StartedAt >= since && r.StartedAt <= until).ToList();
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
}
