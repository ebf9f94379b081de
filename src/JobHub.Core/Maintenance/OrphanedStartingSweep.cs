using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Maintenance;

/// <summary>
/// R8: a job <c>starting</c> without a task id after <c>OrphanAfter</c> (its launcher died, or RunningHub never
/// answered) fails <c>ORPHANED</c> and refunds. Should its launch still finish later, the launcher finds the job
/// failed and cancels the task at RunningHub.
/// </summary>
public sealed class OrphanedStartingSweep(IDbContextFactory<JobHubDbContext> contexts, FinishJob finish, IOptions<JobHubOptions> options, TimeProvider clock)
    : IMaintenanceTask
{
    public string Key => MaintenanceTaskKeys.OrphanedStarting;

    public string Description => "Fails jobs stuck in 'starting' without a RunningHub task past OrphanAfter, with a refund.";

    public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var counts = new MaintenanceCounts();
        var cutoff = clock.GetUtcNow().UtcDateTime - options.Value.OrphanAfter;
        IReadOnlyList<Guid> orphans;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            orphans = await db.Set<Job>().Where(j => j.Status == JobStatus.Starting && j.TaskId == null && j.StartingAt < cutoff)
                .OrderBy(j => j.StartingAt).Select(j => j.Id).ToListAsync(cancellationToken);
        }

        foreach (var id in orphans)
        {
            var result = await finish.FailAsync(id, new JobFailure(JobErrorCodes.Orphaned,
                "The job could not be started on RunningHub in time. Your credits were returned; please try again."),
                JobCause.Sweep, [JobStatus.Starting], cancellationToken);
            counts.Tally(result.Outcome == TerminationOutcome.Changed ? "failed" : "already_moved");
        }

        return counts;
    }
}
