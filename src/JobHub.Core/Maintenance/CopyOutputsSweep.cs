using Hangfire;
using Hangfire.States;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Maintenance;

/// <summary>
/// Enqueues a copy for every completed job whose files are not stored yet, whose URLs are valid and attempts remain, and
/// that has no live copy job (its instance died before enqueueing, the enqueue failed, an admin deleted it on the
/// dashboard). A copy job still enqueued, scheduled for a retry or running is left alone.
/// </summary>
public sealed class CopyOutputsSweep(IDbContextFactory<JobHubDbContext> contexts, CopyOutputs copyOutputs, JobStorage hangfire,
    IOptions<MaintenanceOptions> options, TimeProvider clock) : IMaintenanceTask
{
    /// <summary>A job that completed a moment ago is being enqueued by the instance that completed it.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private static readonly HashSet<string> LiveStates = new(StringComparer.OrdinalIgnoreCase)
    {
        EnqueuedState.StateName, ScheduledState.StateName, ProcessingState.StateName, AwaitingState.StateName,
    };

    public string Key => MaintenanceTaskKeys.CopyOutputs;

    public string Description => "Enqueues the copy of completed jobs' result files into JobHub's storage where no copy job is under way.";

    public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var counts = new MaintenanceCounts();
        var now = clock.GetUtcNow().UtcDateTime;
        var maxAttempts = options.Value.OutputCopyMaxAttempts;
        var settled = now - Grace;
        var expired = now - options.Value.OutputUrlLifetime;
        List<(Guid Id, string? CopyJob)> pending;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            pending = (await db.Set<Job>()
                .Where(j => j.Status == JobStatus.Completed && j.OutputsCopiedAt == null && j.OutputCopyAttempts < maxAttempts
                    && j.CompletedAt < settled && j.CompletedAt > expired)
                .OrderBy(j => j.CompletedAt).Take(100).Select(j => new { j.Id, j.OutputCopyJobId }).ToListAsync(cancellationToken))
                .Select(j => (j.Id, j.OutputCopyJobId)).ToList();
        }

        if (pending.Count == 0)
        {
            return counts;
        }

        using var connection = hangfire.GetConnection();
        foreach (var (id, copyJob) in pending)
        {
            if (copyJob is not null && connection.GetStateData(copyJob)?.Name is { } state && LiveStates.Contains(state))
            {
                counts.Tally("under_way");
                continue;
            }

            await copyOutputs.EnqueueAsync(id, copyJob, cancellationToken);
            counts.Tally("enqueued");
        }

        return counts;
    }
}
