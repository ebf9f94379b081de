using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace JobHub.Core.Admin;

/// <summary>One row of <c>admin_actions</c>: who did what, when and why (every admin action is recorded).</summary>
public sealed class AdminActionEntry
{
    public long Id { get; set; }
    public Guid? AdminId { get; set; }
    public DateTime At { get; set; }
    public string Action { get; set; } = "";
    public string? Target { get; set; }
    public string Reason { get; set; } = "";
    public string? Data { get; set; }
}

public sealed class AdminActionEntryConfiguration : IEntityTypeConfiguration<AdminActionEntry>
{
    public void Configure(EntityTypeBuilder<AdminActionEntry> entity)
    {
        entity.ToTable("admin_actions");
        entity.HasKey(a => a.Id).HasName("admin_actions_pkey");
        entity.Property(a => a.Data).HasColumnType("jsonb");
        entity.HasOne<Accounts.JobHubUser>().WithMany().HasForeignKey(a => a.AdminId)
            .OnDelete(DeleteBehavior.NoAction).HasConstraintName("admin_actions_admin_id_fkey");
        entity.HasIndex(a => a.At).IsDescending().HasDatabaseName("admin_actions_at");
    }
}
