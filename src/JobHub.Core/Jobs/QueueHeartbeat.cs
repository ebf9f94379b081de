using Dapper;
using Npgsql;

namespace JobHub.Core.Jobs;

/// <summary>
/// R8: the page of a queued job says, every poll, that its owner is still there. A queued job whose page has
/// been silent for <c>QueueHeartbeatTimeout</c> (the tab was closed) is cancelled by the abandoned-queue sweep.
/// </summary>
public sealed class QueueHeartbeat(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>True when the owner's queued job took the heartbeat; false when it is not queued or not theirs.</summary>
    public async Task<bool> BeatAsync(Guid jobId, Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE jobs SET last_heartbeat_at = @now WHERE id = @jobId AND user_id = @ownerId AND status = 'queued'
            """, new { jobId, ownerId, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: cancellationToken)) == 1;
    }
}
