using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace JobHub.Core.Maintenance;

/// <summary>One row of <c>maintenance_tasks</c>: whether an admin paused a sweep.</summary>
public sealed class MaintenanceTaskRow
{
    public string TaskKey { get; set; } = "";
    public bool Paused { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

public sealed class MaintenanceTaskRowConfiguration : IEntityTypeConfiguration<MaintenanceTaskRow>
{
    public void Configure(EntityTypeBuilder<MaintenanceTaskRow> entity)
    {
        entity.ToTable("maintenance_tasks");
        entity.HasKey(t => t.TaskKey).HasName("maintenance_tasks_pkey");
        entity.Property(t => t.Paused).HasDefaultValue(false);
        entity.Property(t => t.UpdatedAt).HasDefaultValueSql("now()");
    }
}
