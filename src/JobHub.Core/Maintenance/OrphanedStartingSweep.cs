using Dapper;
using JobHub.Core.Jobs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Maintenance;

/// <summary>
/// R8: a job <c>starting</c> without a task id after <c>OrphanAfter</c> (its launcher died, or RunningHub never
/// answered) fails <c>ORPHANED</c> and refunds. Should its launch still finish later, the launcher finds the job
/// failed and cancels the task at RunningHub.
/// </summary>
public sealed class OrphanedStartingSweep(NpgsqlDataSource dataSource, FinishJob finish, IOptions<JobHubOptions> options, TimeProvider clock)
    : IMaintenanceTask
{
    public string Key => MaintenanceTaskKeys.OrphanedStarting;

    public string Description => "Fails jobs stuck in 'starting' without a RunningHub task past OrphanAfter, with a refund.";

    public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var counts = new MaintenanceCounts();
        var cutoff = clock.GetUtcNow().UtcDateTime - options.Value.OrphanAfter;
        IReadOnlyList<Guid> orphans;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            orphans = (await connection.QueryAsync<Guid>(new CommandDefinition(
                "SELECT id FROM jobs WHERE status = 'starting' AND task_id IS NULL AND starting_at < @cutoff ORDER BY starting_at",
                new { cutoff }, cancellationToken: cancellationToken))).ToList();
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
