using JobHub.Bench.Load;
using JobHub.Core.Invariants;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Load;

/// <summary>
/// The load scenario in the suite: simulated users over HTTP, three jobs each, against JobHub on real Kestrel with the
/// simulator injecting every provider fault (lost, duplicated and stale webhooks, failures, capacity errors, silent starts)
/// and short sweeps. Once every job has ended the invariant checker finds nothing, and each fault really happened.
/// </summary>
public sealed class LoadScenarioTests
{
    [Fact]
    public async Task HundredUsers_ThreeJobsEach_WithTheFaultMix_LeaveZeroViolations()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?>
        {
            ["JobHub:Maintenance:Enabled"] = "true",
            ["JobHub:Maintenance:DefaultInterval"] = "00:00:01",
            ["JobHub:Maintenance:RecheckAfter"] = "00:00:00.500",
            ["JobHub:RunningHub:CallTimeout"] = "00:00:01",
            ["JobHub:OrphanAfter"] = "00:00:03",
            ["JobHub:CapacityBackoffBase"] = "00:00:00.200",
            ["JobHub:CapacityBackoffMax"] = "00:00:02",
            ["JobHub:Tools:image-upscaler:ReconcileAfter"] = "00:00:01",
            ["JobHub:Tools:video-upscaler:ReconcileAfter"] = "00:00:01",
            ["JobHub:Tools:pose-changer:ReconcileAfter"] = "00:00:01",
            ["JobHub:Tools:virtual-try-on:ReconcileAfter"] = "00:00:01",
            // The per-user limits as shipped (the test hosts raise them): a hundred people on one address are not throttled.
            ["JobHub:RateLimits:Submit:PermitLimit"] = "10",
            ["JobHub:RateLimits:Check:PermitLimit"] = "10",
            ["JobHub:RateLimits:Heartbeat:PermitLimit"] = "30",
            ["JobHub:RateLimits:Api:PermitLimit"] = "300",
            ["JobHub:RateLimits:CheckCooldown"] = "00:00:10",
        }, FaultNames.Simulator(Faults.ProviderMix, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300)));
        var plan = new LoadPlan
        {
            Users = 100,
            JobsPerUser = 3,
            Duration = TimeSpan.FromMinutes(10),
            PollInterval = TimeSpan.FromMilliseconds(500),
            HeartbeatInterval = TimeSpan.FromSeconds(5),
            CheckAfter = TimeSpan.FromSeconds(5),
            ThinkTime = TimeSpan.FromMilliseconds(200),
            RampUp = TimeSpan.FromSeconds(2),
        };
        var report = new LoadReport();

        var run = LoadDriver.RunAsync([hub.BaseAddress], hub.Db, plan, report);
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromMinutes(8))));
        await run;
        Assert.True(await LoadDriver.SettleAsync(hub.Db, TimeSpan.FromMinutes(1)), "jobs were still active a minute after the users stopped");

        Assert.Empty(report.Unexpected);
        Assert.Equal(300, report.CountOf("submitted"));
        Assert.Equal(300, await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
        Assert.Equal([3], await hub.QueryAsync<int>($"SELECT DISTINCT count(*)::int FROM jobs GROUP BY user_id"));
        var violations = await hub.Services.GetRequiredService<InvariantChecker>().CheckAsync();
        Assert.True(violations.Count == 0, string.Join("\n", violations.Select(v => $"{v.Rule} {v.Subject}: {v.Detail}")));

        // Every fault of the mix happened, and was survived.
        Assert.True(await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE status = 'completed' AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.job_id = jobs.id)") > 0,
            "no job was finished by reconciliation after a lost webhook");
        Assert.True(await hub.ScalarAsync<long>($"SELECT count(*) FROM webhook_deliveries WHERE outcome = 'duplicate'") > 0, "no duplicate webhook arrived");
        Assert.True(await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE status = 'failed' AND provider_message IS NOT NULL") > 0, "no task failed at RunningHub");
        Assert.True(await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE launch_attempts > 0") > 0, "no start met a capacity error");
        Assert.True(await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE error_code = 'RUNNINGHUB_START_UNKNOWN'") > 0, "no start went unanswered");

        // Credits: each user paid exactly for the jobs that completed.
        var wrong = await hub.QueryAsync<Guid>($"""
            SELECT u.id FROM users u
            WHERE u.credit_balance <> 100000 - (SELECT coalesce(sum(credit_cost), 0) FROM jobs j WHERE j.user_id = u.id AND j.status = 'completed')
            """);
        Assert.Empty(wrong);
    }
}
