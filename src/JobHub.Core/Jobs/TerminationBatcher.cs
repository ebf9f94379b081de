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
/// <remarks>
/// Measured (issue 18, 50 webhook senders, JIT settled): PostgreSQL's CPU per delivery went from 0.34–0.38 ms to
/// 0.23 ms, JobHub's from 0.29–0.30 to 0.22–0.25 ms, deliveries from 2,700 to 3,500–3,700/s.
/// </remarks>
public sealed class TerminationBatcher(IDbContextFactory<JobHubDbContext> contexts, IOptions<JobHubOptions> options) : SlotBatcher(contexts)
{
    private protected override IReadOnlyList<string> Head { get; } = [SlotAdmission.ReleaseLock];

    private protected override FormattableString? Tail => SlotAdmission.SlotWaiting(options.Value.MaxConcurrent);

    private protected override bool InKeyOrder => true;
}
