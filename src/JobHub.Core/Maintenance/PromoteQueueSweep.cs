using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;

namespace JobHub.Core.Maintenance;

/// <summary>
/// R12's back-up: every slot release already promotes in the same step; this catches what an instance that
/// died between a release and a launch, or a capacity back-off that ended, left waiting beside a free slot.
/// </summary>
public sealed class PromoteQueueSweep(JobLauncher launcher) : IMaintenanceTask
{
    public string Key => MaintenanceTaskKeys.PromoteQueue;

    public string Description => "Starts the oldest queued jobs when slots are free (backs up the promotion on every release).";

    public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var promoted = await launcher.PromoteAsync(JobCause.Sweep, cancellationToken);
        return new MaintenanceCounts { ["promoted"] = promoted.Count };
    }
}
