using System.Linq.Expressions;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Maintenance;

/// <summary>R8: a queued job whose page sent no heartbeat for <c>QueueHeartbeatTimeout</c> (the tab was closed) is cancelled and refunded.</summary>
public sealed class AbandonedQueueSweep(IDbContextFactory<JobHubDbContext> contexts, CancelJob cancel, IOptions<JobHubOptions> options, TimeProvider clock)
    : IMaintenanceTask
{
    public string Key => MaintenanceTaskKeys.AbandonedQueue;

    public string Description => "Cancels queued jobs whose page stopped sending heartbeats (tab closed), with a refund.";

    public Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - options.Value.QueueHeartbeatTimeout;
        // A job's last sign of life (its last heartbeat, or when it was queued or last moved back to the queue) is before the cutoff.
        return QueueExpiry.CancelAsync(contexts, cancel, cancellationToken,
            j => j.UpdatedAt < cutoff && (j.LastHeartbeatAt == null || j.LastHeartbeatAt < cutoff) && (j.QueuedAt == null || j.QueuedAt < cutoff),
            JobErrorCodes.QueueAbandoned, "The page that started this job was closed, so it left the queue. Your credits were returned.");
    }
}

/// <summary>R8: a job queued longer than <c>MaxQueueWait</c> is cancelled and refunded.</summary>
public sealed class QueueMaxWaitSweep(IDbContextFactory<JobHubDbContext> contexts, CancelJob cancel, IOptions<JobHubOptions> options, TimeProvider clock)
    : IMaintenanceTask
{
    public string Key => MaintenanceTaskKeys.QueueMaxWait;

    public string Description => "Cancels jobs that waited in the queue longer than MaxQueueWait, with a refund.";

    public Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - options.Value.MaxQueueWait;
        return QueueExpiry.CancelAsync(contexts, cancel, cancellationToken, j => j.QueuedAt < cutoff, JobErrorCodes.QueueMaxWait, "The job waited in the queue too long and was cancelled. Your credits were returned.");
    }
}

internal static class QueueExpiry
{
    /// <summary>Cancels the queued jobs matching <paramref name="condition"/>, oldest first; only while they are still queued.</summary>
    public static async Task<MaintenanceCounts> CancelAsync(IDbContextFactory<JobHubDbContext> contexts, CancelJob cancel,
        CancellationToken cancellationToken, Expression<Func<Job, bool>> condition, string errorCode, string message)
    {
        var counts = new MaintenanceCounts();
        IReadOnlyList<Guid> expired;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            expired = await db.Set<Job>().Where(j => j.Status == JobStatus.Queued).Where(condition).OrderBy(j => j.QueuedAt).ThenBy(j => j.QueueSeq)
                .Select(j => j.Id).ToListAsync(cancellationToken);
        }

        foreach (var id in expired)
        {
            var result = await cancel.HandleAsync(new CancelJobRequest(id, null, JobCause.Sweep, errorCode, message,
                AllowedFrom: [JobStatus.Queued]), cancellationToken);
            counts.Tally(result.Outcome == TerminationOutcome.Changed ? "cancelled" : "already_moved");
        }

        return counts;
    }
}
