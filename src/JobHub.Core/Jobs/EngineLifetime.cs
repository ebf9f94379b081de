using Microsoft.Extensions.Hosting;

namespace JobHub.Core.Jobs;

/// <summary>
/// On shutdown, stops this instance's background launches and output copies so the process ends promptly.
/// Nothing is lost by it: an abandoned launch leaves its job <c>starting</c> for the orphan sweep, an
/// abandoned copy leaves the job pending for the copy sweep, both in whichever instance runs next.
/// </summary>
public sealed class EngineLifetime(JobLauncher launcher, CopyOutputs copyOutputs) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        copyOutputs.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.WhenAll(launcher.StopAsync(), copyOutputs.StopAsync()).WaitAsync(cancellationToken);
}
