using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs;

/// <summary>
/// The admissions that arrive together (<see cref="SubmitJob"/>), as one batch (<see cref="SlotBatcher"/>): the slot lock
/// once, then each admission's statement in the order they came, each deciding on the slots and the queue as the ones
/// before it left them (R1–R3), so that a batch admits exactly what the same admissions one by one would. One lock and one
/// commit for the batch: the lock is held for the batch's statements and its one WAL flush, where each admission alone
/// held it for its own flush.
/// </summary>
public sealed class AdmissionBatcher(IDbContextFactory<JobHubDbContext> contexts) : SlotBatcher(contexts)
{
    private protected override IReadOnlyList<string> Head => SlotAdmission.AdmissionHead;
}
