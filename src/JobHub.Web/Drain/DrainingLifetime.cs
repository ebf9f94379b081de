using System.Runtime.InteropServices;

namespace JobHub.Web.Drain;

/// <summary>
/// The stop signals (SIGTERM, Ctrl+C) in place of the console lifetime, whose stop closes every circuit at once: the
/// instance drains first, while its pages are still connected, then the host stops. A second signal stops at once.
/// </summary>
public sealed class DrainingLifetime(InstanceDrain drain, IHostApplicationLifetime lifetime, ILogger<DrainingLifetime> logger)
    : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> registrations = [];
    private int signals;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }

        return Task.CompletedTask;
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // the host ends the process once it has stopped
        if (Interlocked.Increment(ref signals) > 1)
        {
            lifetime.StopApplication();
            return;
        }

        logger.LogInformation("{Signal}: draining, then stopping", context.Signal);
        _ = Task.Run(async () =>
        {
            try
            {
                await drain.DrainAsync();
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "The drain failed; stopping now");
            }
            finally
            {
                lifetime.StopApplication();
            }
        });
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }
    }
}
