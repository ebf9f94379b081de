using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace JobHub.Core.RunningHub;

/// <summary>One row of <c>runninghub_accounts</c>: a configured account, its limit (R11) and its last status.</summary>
public sealed class RunningHubAccountRow
{
    public string AccountKey { get; set; } = "";
    public int MaxConcurrent { get; set; }
    public bool Enabled { get; set; }
    public string? LastStatus { get; set; }
    public DateTime? LastCheckedAt { get; set; }
    public string? LastError { get; set; }
    public DateTime? LastErrorAt { get; set; }
}

public sealed class RunningHubAccountRowConfiguration : IEntityTypeConfiguration<RunningHubAccountRow>
{
    public void Configure(EntityTypeBuilder<RunningHubAccountRow> entity)
    {
        entity.ToTable("runninghub_accounts", table => table.HasCheckConstraint("runninghub_accounts_max_concurrent_check", "max_concurrent > 0"));
        entity.HasKey(a => a.AccountKey).HasName("runninghub_accounts_pkey");
        entity.Property(a => a.Enabled).HasDefaultValue(true);
        entity.Property(a => a.LastStatus).HasColumnType("jsonb");
    }
}
