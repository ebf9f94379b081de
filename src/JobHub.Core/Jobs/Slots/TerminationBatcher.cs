using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs.Slots;

/// <summary>
/// The terminations that arrive together, as one batch (<see cref="SlotBatcher"/>): the shared slot lock once, each
/// termination in the order of the jobs' ids (so two instances' batches lock rows in the same order), then, still under
/// the lock, whether a job waits for a slot the releases freed (<see cref="SlotAdmission.SlotWaiting"/>).
/// </summary>
public sealed class TerminationBatcher(IDbContextFactory<JobHubDbContext> contexts, IOptions<JobHubOptions> options) : SlotBatcher(contexts)
{
    private protected override IReadOnlyList<string> Head { get; } = [SlotAdmission.ReleaseLock];

    private protected override SqlStatement.Bound? Tail => SlotAdmission.SlotWaiting.With("max_concurrent", options.Value.MaxConcurrent);

    private protected override bool InKeyOrder => true;
}
