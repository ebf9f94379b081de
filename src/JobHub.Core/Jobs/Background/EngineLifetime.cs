using Microsoft.Extensions.Hosting;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Jobs.Slots;

namespace JobHub.Core.Jobs.Background;

/// <summary>
/// On shutdown, stops this instance's background launches and output copies so the process ends promptly.
/// Nothing is lost by it: an abandoned launch leaves its job <c>starting</c> for the orphan sweep, an
/// abandoned copy leaves the job pending for the copy sweep, both in whichever instance runs next.
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

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(launcher.StopAsync(), copyOutputs.StopAsync(), admissions.StopAsync()).WaitAsync(cancellationToken);
        await terminations.StopAsync().WaitAsync(cancellationToken); // the ends the launches decided are sent first
        await changes.StopAsync().WaitAsync(cancellationToken); // after the launches: the ends they committed are sent too
    }
}
