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
