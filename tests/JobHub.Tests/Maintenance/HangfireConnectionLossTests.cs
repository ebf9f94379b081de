using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Maintenance;

/// <summary>
/// What a PostgreSQL restart does to Hangfire, on this instance's database: every connection is cut, the workers' and
/// schedulers' included. Recurring sweeps resume within a few intervals, and enqueued work (a "Run now", an output copy)
/// is still picked up.
/// </summary>
public sealed class HangfireConnectionLossTests
{
    [Fact]
    public async Task AfterEveryConnectionIsCut_RecurringSweepsResume_AndEnqueuedWorkIsStillPickedUp()
    {
        await using var files = await OutputFileServer.StartAsync();
        await using var h = await EngineHarness.CreateAsync(new Dictionary<string, string?>(files.AllowedHostSettings())
        {
            ["JobHub:Maintenance:DefaultInterval"] = "00:00:01",
        });
        await h.Schedule.StartAsync(CancellationToken.None);
        await WaitForScheduledRunAfterAsync(h, DateTime.UtcNow);
        var running = await h.RunningJobAsync();

        var cut = await TestDatabase.TerminateConnectionsAsync(h.DatabaseName);
        Assert.True(cut > 0, "no connection to cut");
        var afterCut = DateTime.UtcNow;

        // Recurring: a scheduled run started after the cut, within a few intervals.
        var resumed = await WaitForScheduledRunAfterAsync(h, afterCut);
        Assert.True(resumed.StartedAt - afterCut < TimeSpan.FromSeconds(15), $"first run after the cut started {resumed.StartedAt - afterCut} later");
        // Enqueued: "Run now" is taken and done within 5 s (Hangfire.PostgreSql's default poll, 15 s, would not do; JobHub's
        // sweep workers poll every 500 ms).
        var run = await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.Retention, TimeSpan.FromSeconds(5));
        Assert.Equal("succeeded", run.Outcome);
        // Background work too: a copy enqueued after the cut is done within 5 s.
        await h.Finish.CompleteAsync(running.Id, [new JobOutput(files.BaseUrl + "/out/result.png", "9", "image")], null, JobCause.Webhook);
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await h.GetJobAsync(running.Id)).OutputsCopiedAt is not null, TimeSpan.FromSeconds(5)),
            "the copy enqueued after the cut was not done within 5 s");
    }

    /// <summary>
    /// Hangfire.PostgreSql's locks are rows: one held by a connection that is cut stays until it is older than
    /// <c>DistributedLockTimeout</c>. Left on a sweep's recurring-job lock (and the scheduler's own), it stops that sweep for
    /// seconds, not the minute (or the library's ten) it once did: a restart must not pause reconciliation for long.
    /// </summary>
    [Fact]
    public async Task AHangfireLockLeftByACutConnection_PausesTheSweepForSecondsOnly()
    {
        await using var h = await EngineHarness.CreateAsync(new Dictionary<string, string?> { ["JobHub:Maintenance:DefaultInterval"] = "00:00:01" });
        await h.Schedule.StartAsync(CancellationToken.None);
        await WaitForScheduledRunAfterAsync(h, DateTime.UtcNow);

        var left = DateTime.UtcNow;
        var taken = await h.Db.ExecuteAsync($"""
            INSERT INTO hangfire.lock (resource, acquired)
            SELECT r, now() FROM unnest(ARRAY['hangfire:recurring-jobs:lock', {"hangfire:lock:recurring-job:" + MaintenanceTaskKeys.PromoteQueue}]) AS r
            ON CONFLICT (resource) DO UPDATE SET acquired = excluded.acquired
            """);
        Assert.Equal(2, taken);

        var resumed = await WaitForScheduledRunAfterAsync(h, left.AddSeconds(1)); // a run already fired as the rows went in may finish
        Assert.True(resumed.StartedAt - left < TimeSpan.FromSeconds(15), $"the sweep resumed {resumed.StartedAt - left} after the lock was left");
        Assert.True(resumed.StartedAt - left > HangfireSetup.AbandonedLockAfter - TimeSpan.FromSeconds(1),
            $"the sweep ran {resumed.StartedAt - left} after the lock was left: the left lock was not in its way");
    }

    private static async Task<MaintenanceRun> WaitForScheduledRunAfterAsync(EngineHarness h, DateTime after)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                if (h.Maintenance.History(MaintenanceTaskKeys.PromoteQueue, 20)
                        .FirstOrDefault(r => r.Trigger == MaintenanceTriggers.Schedule && r.Outcome == "succeeded" && r.StartedAt > after) is { } run)
                {
                    return run;
                }
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException || ex.InnerException is Npgsql.NpgsqlException)
            {
                // this read's own connection was among those cut: ask again
            }

            Assert.True(DateTime.UtcNow < deadline, "no scheduled run within 30 s");
            await Task.Delay(200);
        }
    }
}
