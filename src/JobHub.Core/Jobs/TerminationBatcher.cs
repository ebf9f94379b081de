using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs;

/// <summary>
/// The terminations that arrive together (<see cref="JobTermination"/>), as one batch (<see cref="SlotBatcher"/>): the slot
/// lock in shared mode once (releases run beside each other, never beside an admission or a promotion), then each
/// termination's statement on its own job's row, in the order of the jobs' ids so that two instances' batches lock rows
/// in the same order; two verdicts for one job in a batch end it once and record the second as a duplicate. Last, still
/// holding the lock, the batch reads once whether a job waits for a slot its releases freed (<see cref="SlotAdmission.SlotWaiting"/>).
/// </summary>
public sealed class TerminationBatcher(IDbContextFactory<JobHubDbContext> contexts, IOptions<JobHubOptions> options) : SlotBatcher(contexts)
{
    private protected override IReadOnlyList<string> Head { get; } = [SlotAdmission.ReleaseLock];

    private protected override SqlStatement.Bound? Tail => SlotAdmission.SlotWaiting.With("max_concurrent", options.Value.MaxConcurrent);

    private protected override bool InKeyOrder => true;
}
