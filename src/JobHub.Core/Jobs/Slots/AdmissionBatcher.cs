using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs.Slots;

/// <summary>
/// The admissions that arrive together, as one batch (<see cref="SlotBatcher"/>): the slot lock once, then each admission
/// in the order they came, deciding on the slots as the ones before it left them (R1–R3), so a batch admits what the same
/// admissions one by one would, with one commit (one WAL flush under the lock) for all.
/// </summary>
public sealed class AdmissionBatcher(IDbContextFactory<JobHubDbContext> contexts) : SlotBatcher(contexts)
{
    private protected override IReadOnlyList<string> Head => SlotAdmission.AdmissionHead;
}
