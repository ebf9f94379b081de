using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Core.Tools;
using Microsoft.Extensions.Logging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Maintenance;

/// <summary>
/// R7 and R8 for running jobs: every job running longer than its tool's <c>ReconcileAfter</c> is checked
/// against RunningHub (unless the page checked it a moment ago); one still unfinished past the tool's hard
/// timeout is cancelled at RunningHub and fails <c>TIMEOUT</c>, with a refund.
/// </summary>
public sealed class ReconcileRunningSweep(
    IDbContextFactory<JobHubDbContext> contexts,
    ToolCatalog catalog,
    ReconcileJob reconcile,
    FinishJob finish,
    IRunningHubClient client,
    RunningHubAccounts accounts,
    IOptions<MaintenanceOptions> options,
    TimeProvider clock,
    ILogger<ReconcileRunningSweep> logger) : IMaintenanceTask
{
    public string Key => MaintenanceTaskKeys.ReconcileRunning;

    public string Description => "Checks running jobs past their tool's reconcile time with RunningHub; times out those past the hard limit.";

    public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var counts = new MaintenanceCounts();
        var running = await RunningAsync(cancellationToken);

        foreach (var job in running)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tool = catalog.Find(job.ToolKey);
            var now = clock.GetUtcNow().UtcDateTime;
            var age = now - (job.StartedAt ?? now);
            var hardTimeout = tool?.HardTimeout ?? TimeSpan.FromMinutes(10);
            var pastTimeout = age >= hardTimeout;
            if (age < (tool?.ReconcileAfter ?? TimeSpan.FromMinutes(3)) ||
                (!pastTimeout && job.LastCheckedAt is { } checkedAt && now - checkedAt < options.Value.RecheckAfter))
            {
                continue;
            }

            try
            {
                counts.Tally("checked");
                var result = await reconcile.HandleAsync(job.Id, JobCause.Sweep, cancellationToken: cancellationToken);
                counts.Tally(result.Outcome switch
                {
                    ReconcileOutcome.Finished => result.Job!.Status,
                    ReconcileOutcome.StillRunning => "still_running",
                    ReconcileOutcome.Unanswered => "unanswered",
                    _ => "already_finished",
                });
                if (pastTimeout && result.Outcome is ReconcileOutcome.StillRunning or ReconcileOutcome.Unanswered)
                {
                    await TimeOutAsync(result.Job!, hardTimeout, counts, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                counts.Tally("errors");
                logger.LogError(ex, "Reconciling job {JobId} failed", job.Id);
            }
        }

        return counts;
    }

    private async Task<IReadOnlyList<Running>> RunningAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<Job>().Where(j => j.Status == JobStatus.Running).OrderBy(j => j.StartedAt)
            .Select(j => new Running(j.Id, j.ToolKey, j.StartedAt, j.LastCheckedAt)).ToListAsync(cancellationToken);
    }

    private sealed record Running(Guid Id, string ToolKey, DateTime? StartedAt, DateTime? LastCheckedAt);

    /// <summary>R8: cancel the task at RunningHub first (so it stops costing), then fail the job TIMEOUT.</summary>
    private async Task TimeOutAsync(Job job, TimeSpan hardTimeout, MaintenanceCounts counts, CancellationToken cancellationToken)
    {
        var cancel = await client.CancelAsync(accounts.Get(job.AccountKey!), job.TaskId!, cancellationToken);
        var result = await finish.FailAsync(job.Id, new JobFailure(JobErrorCodes.Timeout,
            $"The job did not finish within {hardTimeout.TotalMinutes:0} minutes and was stopped. Your credits were returned.",
            cancel.IsSuccess ? null : cancel.Code, cancel.IsSuccess ? null : cancel.Message), JobCause.Sweep, [JobStatus.Running], cancellationToken);
        if (result.Outcome == TerminationOutcome.Changed)
        {
            counts.Tally("timed_out");
            logger.LogWarning("Job {JobId} timed out after {Timeout}; RunningHub cancel: {Outcome}", job.Id, hardTimeout, cancel.Outcome);
        }
    }
}
