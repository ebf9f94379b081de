using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Jobs.Slots;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Jobs.Background;

/// <summary>
/// On shutdown, finishes this instance's launches under way (until the host's shutdown time runs out) and stops its
/// output copies. Nothing is lost by it: a launch abandoned past that time leaves its job <c>starting</c> for the orphan
/// sweep, an abandoned copy leaves the job pending for the copy sweep, both in whichever instance runs next.
/// </summary>
public sealed class EngineLifetime(JobLauncher launcher, CopyOutputs copyOutputs, AdmissionBatcher admissions, TerminationBatcher terminations,
    JobChangeFeed changes, ILogger<EngineLifetime> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        copyOutputs.Start();
        admissions.Start();
        terminations.Start();
        changes.Start();
        return Task.CompletedTask;
    }

    /// <summary>How long each batcher and the change feed get to send what waits, once the launches are done or given up.</summary>
    private static readonly TimeSpan Flush = TimeSpan.FromSeconds(10);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(admissions.StopAsync(), "admissions"); // first: the admissions waiting in a batch launch too
        await Task.WhenAll(launcher.StopAsync(cancellationToken), FlushAsync(copyOutputs.StopAsync(), "output copies"));
        await FlushAsync(terminations.StopAsync(), "terminations"); // the ends the launches decided are sent first
        await FlushAsync(changes.StopAsync(), "change feed"); // after the launches: the ends they committed are sent too
    }

    // One step that overruns (a database that hangs) is left behind, and the next steps still run.
    private async Task FlushAsync(Task stopping, string what)
    {
        try
        {
            await stopping.WaitAsync(Flush);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Stopping: the {What} did not finish within {Flush}; the sweeps settle what they left.", what, Flush);
        }
    }
}
