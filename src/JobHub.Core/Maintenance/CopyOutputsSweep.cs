using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Maintenance;

/// <summary>Retries copying result files that are not yet in JobHub's storage, while RunningHub's URLs are still valid.</summary>
public sealed class CopyOutputsSweep(IDbContextFactory<JobHubDbContext> contexts, CopyOutputs copyOutputs, IOptions<MaintenanceOptions> options, TimeProvider clock)
    : IMaintenanceTask
{
    /// <summary>A job that completed a moment ago is being copied by the instance that completed it.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    public string Key => MaintenanceTaskKeys.CopyOutputs;

    public string Description => "Copies completed jobs' result files into JobHub's storage where the first copy failed.";

    public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var counts = new MaintenanceCounts();
        var now = clock.GetUtcNow().UtcDateTime;
        IReadOnlyList<Guid> pending;
        var maxAttempts = options.Value.OutputCopyMaxAttempts;
        var settled = now - Grace;
        var expired = now - options.Value.OutputUrlLifetime;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            pending = await db.Set<Job>()
                .Where(j => j.Status == JobStatus.Completed && j.OutputsCopiedAt == null && j.OutputCopyAttempts < maxAttempts
                    && j.CompletedAt < settled && j.CompletedAt > expired)
                .OrderBy(j => j.CompletedAt).Take(100).Select(j => j.Id).ToListAsync(cancellationToken);
        }

        foreach (var id in pending)
        {
            counts.Tally(await copyOutputs.CopyAsync(id, cancellationToken) ? "copied" : "not_copied");
        }

        return counts;
    }
}
