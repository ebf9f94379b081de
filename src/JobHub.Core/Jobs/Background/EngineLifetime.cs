using Microsoft.Extensions.Hosting;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Jobs.Slots;

namespace JobHub.Core.Jobs.Background;

/// <summary>
/// On shutdown, finishes this instance's launches under way (until the host's shutdown time runs out) and stops its
/// output copies. Nothing is lost by it: a launch abandoned past that time leaves its job <c>starting</c> for the orphan
/// sweep, an abandoned copy leaves the job pending for the copy sweep, both in whichever instance runs next.
/// </summary>
public sealed class EngineLifetime(JobLauncher launcher, CopyOutputs copyOutputs, AdmissionBatcher admissions, TerminationBatcher terminations,
    JobChangeFeed changes)
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
        await admissions.StopAsync().WaitAsync(Flush); // first: the admissions waiting in a batch launch too
        await Task.WhenAll(launcher.StopAsync(cancellationToken), copyOutputs.StopAsync().WaitAsync(Flush));
        await terminations.StopAsync().WaitAsync(Flush); // the ends the launches decided are sent first
        await changes.StopAsync().WaitAsync(Flush); // after the launches: the ends they committed are sent too
    }
}
