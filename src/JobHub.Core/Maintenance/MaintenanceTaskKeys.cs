using JobHub.Core.Jobs.Outputs;

namespace JobHub.Core.Maintenance;

public static class MaintenanceTaskKeys
{
    public const string ReconcileRunning = "reconcile-running";
    public const string OrphanedStarting = "orphaned-starting";
    public const string AbandonedQueue = "abandoned-queue";
    public const string QueueMaxWait = "queue-max-wait";
    public const string PromoteQueue = "promote-queue";
    public const string CopyOutputs = "copy-outputs";
    public const string Retention = "retention";
}
