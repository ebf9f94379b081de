using JobHub.Core.Jobs;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Jobs.Background;

/// <summary>
/// A restart of JobHub leaves RunningHub (here its simulator, a service of its own) untouched: a job running across the
/// restart completes, and the next jobs get new task ids (the simulator does not number its tasks from 1 again).
/// </summary>
public sealed class JobHubRestartTests
{
    [Fact]
    public async Task AJobRunningAcrossARestart_Completes_AndLaterJobsLaunch()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?>
        {
            ["JobHub:Maintenance:Enabled"] = "true",
            ["JobHub:Maintenance:DefaultInterval"] = "00:00:01",
            ["JobHub:Maintenance:RecheckAfter"] = "00:00:00.500",
            ["JobHub:Tools:pose-changer:ReconcileAfter"] = "00:00:01",
        }, new SimulatorSettings { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromSeconds(3) });
        var first = await hub.SubmitAsync(await hub.CreateUserAsync());
        var running = await hub.WaitForJobAsync(first.Id, j => j.Status == JobStatus.Running);
        Assert.Equal(JobStatus.Running, running.Status);

        await hub.RestartAsync();

        var done = await hub.WaitForJobAsync(first.Id, j => JobStatus.IsTerminal(j.Status), TimeSpan.FromSeconds(30));
        Assert.Equal(JobStatus.Completed, done.Status);
        var jobs = new List<Job>();
        for (var i = 0; i < 3; i++)
        {
            jobs.Add(await hub.SubmitAsync(await hub.CreateUserAsync()));
        }

        foreach (var job in jobs)
        {
            var launched = await hub.WaitForJobAsync(job.Id, j => j.TaskId is not null || JobStatus.IsTerminal(j.Status));
            Assert.NotNull(launched.TaskId);
            Assert.NotEqual(running.TaskId, launched.TaskId);
        }
    }
}
