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

/// <summary>One row of <c>maintenance_runs</c>: a sweep's run, its trigger, instance, outcome and counts.</summary>
public sealed class MaintenanceRunRow
{
    public long Id { get; set; }
    public string TaskKey { get; set; } = "";
    public string Trigger { get; set; } = "";
    public string Instance { get; set; } = "";
    public DateTime StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public string Outcome { get; set; } = "";
    public string? Counts { get; set; }
    public string? Error { get; set; }
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

public sealed class MaintenanceRunRowConfiguration : IEntityTypeConfiguration<MaintenanceRunRow>
{
    public void Configure(EntityTypeBuilder<MaintenanceRunRow> entity)
    {
        entity.ToTable("maintenance_runs", table =>
            table.HasCheckConstraint("maintenance_runs_outcome_valid", "outcome IN ('running', 'succeeded', 'failed', 'skipped')"));
        entity.HasKey(r => r.Id).HasName("maintenance_runs_pkey");
        entity.Property(r => r.Outcome).HasDefaultValueSql("'running'::text");
        entity.Property(r => r.Counts).HasColumnType("jsonb");
        entity.HasIndex(r => new { r.TaskKey, r.Id }).IsDescending(false, true).HasDatabaseName("maintenance_runs_task");
        entity.HasIndex(r => r.StartedAt).HasDatabaseName("maintenance_runs_started");
    }
}
