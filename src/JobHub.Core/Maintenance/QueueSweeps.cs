using Dapper;
using JobHub.Core.Jobs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Maintenance;

/// <summary>R8: a queued job whose page sent no heartbeat for <c>QueueHeartbeatTimeout</c> (the tab was closed) is cancelled and refunded.</summary>
public sealed class AbandonedQueueSweep(NpgsqlDataSource dataSource, CancelJob cancel, IOptions<JobHubOptions> options, TimeProvider clock)
    : IMaintenanceTask
{
    public string Key => MaintenanceTaskKeys.AbandonedQueue;

    public string Description => "Cancels queued jobs whose page stopped sending heartbeats (tab closed), with a refund.";

    public Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken) =>
        QueueExpiry.CancelAsync(dataSource, cancel, cancellationToken,
            // A job's last sign of life: its last heartbeat, or when it was queued or last moved back to the queue.
            "greatest(last_heartbeat_at, queued_at, updated_at) < @cutoff",
            clock.GetUtcNow().UtcDateTime - options.Value.QueueHeartbeatTimeout,
            JobErrorCodes.QueueAbandoned, "The page that started this job was closed, so it left the queue. Your credits were returned.");
}

/// <summary>R8: a job queued longer than <c>MaxQueueWait</c> is cancelled and refunded.</summary>
public sealed class QueueMaxWaitSweep(NpgsqlDataSource dataSource, CancelJob cancel, IOptions<JobHubOptions> options, TimeProvider clock)
    : IMaintenanceTask
{
    public string Key => MaintenanceTaskKeys.QueueMaxWait;

    public string Description => "Cancels jobs that waited in the queue longer than MaxQueueWait, with a refund.";

    public Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken) =>
        QueueExpiry.CancelAsync(dataSource, cancel, cancellationToken, "queued_at < @cutoff",
            clock.GetUtcNow().UtcDateTime - options.Value.MaxQueueWait,
            JobErrorCodes.QueueMaxWait, "The job waited in the queue too long and was cancelled. Your credits were returned.");
}

internal static class QueueExpiry
{
    /// <summary>Cancels the queued jobs matching <paramref name="condition"/>, oldest first; only while they are still queued.</summary>
    public static async Task<MaintenanceCounts> CancelAsync(NpgsqlDataSource dataSource, CancelJob cancel, CancellationToken cancellationToken,
        string condition, DateTime cutoff, string errorCode, string message)
    {
        var counts = new MaintenanceCounts();
        IReadOnlyList<Guid> expired;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            expired = (await connection.QueryAsync<Guid>(new CommandDefinition(
                $"SELECT id FROM jobs WHERE status = 'queued' AND {condition} ORDER BY queued_at, queue_seq",
                new { cutoff }, cancellationToken: cancellationToken))).ToList();
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
