using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs.Slots;

/// <summary>
/// R8: the page of a queued job says, every poll, that its owner is still there. A queued job whose page has
/// been silent for <c>QueueHeartbeatTimeout</c> (the tab was closed) is cancelled by the abandoned-queue sweep.
/// </summary>
public sealed class QueueHeartbeat(IDbContextFactory<JobHubDbContext> contexts, TimeProvider clock)
{
    /// <summary>True when the owner's queued job took the heartbeat; false when it is not queued or not theirs.</summary>
    public async Task<bool> BeatAsync(Guid jobId, Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Set<Job>().Where(j => j.Id == jobId && j.UserId == ownerId && j.Status == JobStatus.Queued)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.LastHeartbeatAt, now), cancellationToken) == 1;
    }
}
