using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace JobHub.Core.Credits;

/// <summary>One row of <c>credit_ledger</c>, the append-only record of every credit that moved.</summary>
public sealed class CreditLedgerRow
{
    public long Id { get; set; }
    public Guid UserId { get; set; }
    public Guid? JobId { get; set; }
    public string Kind { get; set; } = "";
    public int Amount { get; set; }
    public int BalanceAfter { get; set; }
    public string? Reason { get; set; }
    public string? Actor { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// R6 in the schema: one debit and at most one refund per job (the unique (job, kind) key), a balance that never
/// goes below zero, debits negative and grants and refunds positive. The append-only trigger is created by the
/// migration (a trigger is not part of an EF model).
/// </summary>
public sealed class CreditLedgerRowConfiguration : IEntityTypeConfiguration<CreditLedgerRow>
{
    public void Configure(EntityTypeBuilder<CreditLedgerRow> entity)
    {
        entity.ToTable("credit_ledger", table =>
        {
            table.HasCheckConstraint("credit_ledger_kind_valid", "kind IN ('grant', 'debit', 'refund', 'adjustment')");
            table.HasCheckConstraint("credit_ledger_balance_non_negative", "balance_after >= 0");
            table.HasCheckConstraint("credit_ledger_sign",
                "(kind = 'debit' AND amount <= 0) OR (kind IN ('grant', 'refund') AND amount >= 0) OR kind = 'adjustment'");
            table.HasCheckConstraint("credit_ledger_job_kinds", "kind NOT IN ('debit', 'refund') OR job_id IS NOT NULL");
        });
        entity.HasKey(l => l.Id).HasName("credit_ledger_pkey");
        entity.HasOne<Accounts.JobHubUser>().WithMany().HasForeignKey(l => l.UserId)
            .OnDelete(DeleteBehavior.NoAction).HasConstraintName("credit_ledger_user_id_fkey");
        entity.HasOne<Jobs.Job>().WithMany().HasForeignKey(l => l.JobId)
            .OnDelete(DeleteBehavior.NoAction).HasConstraintName("credit_ledger_job_id_fkey");
        // R6: one debit and at most one refund per job.
        entity.HasIndex(l => new { l.JobId, l.Kind }).IsUnique().HasFilter("job_id IS NOT NULL").HasDatabaseName("credit_ledger_job_kind_key");
        entity.HasIndex(l => new { l.UserId, l.Id }).HasDatabaseName("credit_ledger_user");
    }
}
