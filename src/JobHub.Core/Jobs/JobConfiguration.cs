using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace JobHub.Core.Jobs;

/// <summary>
/// <c>jobs</c>: the state machine's row. R4 is the partial unique index <c>jobs_one_active_per_user</c>; the status
/// checks make an unknown state, a terminal job without <c>completed_at</c> or a running job without a task impossible.
/// </summary>
public sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> entity)
    {
        entity.ToTable("jobs", table =>
        {
            table.HasCheckConstraint("jobs_credit_cost_check", "credit_cost >= 0");
            table.HasCheckConstraint("jobs_status_valid", "status IN ('queued', 'starting', 'running', 'completed', 'failed', 'cancelled')");
            table.HasCheckConstraint("jobs_terminal_has_completed_at", "status NOT IN ('completed', 'failed', 'cancelled') OR completed_at IS NOT NULL");
            table.HasCheckConstraint("jobs_running_has_task", "status <> 'running' OR task_id IS NOT NULL");
        });
        entity.HasKey(j => j.Id).HasName("jobs_pkey");
        entity.Ignore(j => j.ParameterValues);
        entity.Ignore(j => j.InputFiles);
        entity.Ignore(j => j.OutputFiles);
        entity.Property(j => j.Parameters).HasColumnType("jsonb").HasDefaultValueSql("'{}'::jsonb");
        entity.Property(j => j.Inputs).HasColumnType("jsonb").HasDefaultValueSql("'[]'::jsonb");
        entity.Property(j => j.Outputs).HasColumnType("jsonb").HasDefaultValueSql("'[]'::jsonb");
        entity.Property(j => j.Usage).HasColumnType("jsonb");
        entity.Property(j => j.FailedReason).HasColumnType("jsonb");
        entity.Property(j => j.CostMoney).HasColumnType("numeric(12,4)");
        entity.Property(j => j.WaitedInQueue).HasDefaultValue(false);
        entity.Property(j => j.LaunchAttempts).HasDefaultValue(0);
        entity.Property(j => j.CostEstimated).HasDefaultValue(false);
        entity.Property(j => j.OutputCopyAttempts).HasDefaultValue(0);

        entity.HasOne<Accounts.JobHubUser>().WithMany().HasForeignKey(j => j.UserId)
            .OnDelete(DeleteBehavior.NoAction).HasConstraintName("jobs_user_id_fkey");
        entity.HasOne<RunningHub.RunningHubAccountRow>().WithMany().HasForeignKey(j => j.AccountKey)
            .OnDelete(DeleteBehavior.NoAction).HasConstraintName("jobs_account_key_fkey");

        // R4: at most one active job per user, enforced by the database, not by a pre-check.
        entity.HasIndex(j => j.UserId).IsUnique().HasFilter("status IN ('queued', 'starting', 'running')").HasDatabaseName("jobs_one_active_per_user");
        entity.HasIndex(j => new { j.QueuedAt, j.QueueSeq }).HasFilter("status = 'queued'").HasDatabaseName("jobs_queue_order");
        entity.HasIndex(j => new { j.Status, j.AccountKey }).HasFilter("status IN ('starting', 'running')").HasDatabaseName("jobs_active");
        entity.HasIndex(j => new { j.UserId, j.CreatedAt }).IsDescending(false, true).HasDatabaseName("jobs_user_created");
        entity.HasIndex(j => j.CreatedAt).IsDescending().HasDatabaseName("jobs_created");
        entity.HasIndex(j => j.TaskId).IsUnique().HasFilter("task_id IS NOT NULL").HasDatabaseName("jobs_task_id_key");
        entity.HasIndex(j => j.StartedAt).HasFilter("status = 'running'").HasDatabaseName("jobs_running_started");
        // Two indexes on completed_at, each for its sweep: named, so the model keeps both.
        entity.HasIndex(j => j.CompletedAt, "jobs_outputs_pending").HasFilter("status = 'completed' AND outputs_copied_at IS NULL")
            .HasDatabaseName("jobs_outputs_pending");
        entity.HasIndex(j => j.CompletedAt, "jobs_files_kept").HasFilter("files_deleted_at IS NULL AND status IN ('completed', 'failed', 'cancelled')")
            .HasDatabaseName("jobs_files_kept");
        entity.HasIndex(j => j.StartingAt).HasFilter("status = 'starting'").HasDatabaseName("jobs_starting");
    }
}

/// <summary>One row of <c>job_events</c>: the job's log (transitions, ignored late events, checks, notes).</summary>
public sealed class JobEventRow
{
    public long Id { get; set; }
    public Guid JobId { get; set; }
    public DateTime At { get; set; }
    public string Kind { get; set; } = "";
    public string? FromStatus { get; set; }
    public string? ToStatus { get; set; }
    public string Cause { get; set; } = "";
    public string? Actor { get; set; }
    public string? Message { get; set; }
    public string? Data { get; set; }

    /// <summary>How many more times the same note came after this one (a check whose answer changed nothing), the last at <see cref="LastRepeatAt"/>.</summary>
    public int Repeats { get; set; }

    public DateTime? LastRepeatAt { get; set; }
}

public sealed class JobEventRowConfiguration : IEntityTypeConfiguration<JobEventRow>
{
    public void Configure(EntityTypeBuilder<JobEventRow> entity)
    {
        entity.ToTable("job_events", table =>
            table.HasCheckConstraint("job_events_cause_valid", "cause IN ('user', 'webhook', 'reconcile', 'sweep', 'admin', 'system')"));
        entity.HasKey(e => e.Id).HasName("job_events_pkey");
        entity.Property(e => e.Data).HasColumnType("jsonb");
        entity.Property(e => e.Repeats).HasDefaultValue(0);
        entity.HasOne<Job>().WithMany().HasForeignKey(e => e.JobId).OnDelete(DeleteBehavior.Cascade).HasConstraintName("job_events_job_id_fkey");
        entity.HasIndex(e => new { e.JobId, e.Id }).HasDatabaseName("job_events_job");
        entity.HasIndex(e => new { e.At, e.Id }).HasFilter("kind = 'transition'").HasDatabaseName("job_events_transitions");
    }
}
