using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace JobHub.Core.Webhooks;

/// <summary>One row of <c>webhook_deliveries</c>: every delivery received, with its outcome (no key to jobs: an unknown job's delivery is kept too).</summary>
public sealed class WebhookDeliveryRow
{
    public long Id { get; set; }
    public Guid? JobId { get; set; }
    public DateTime ReceivedAt { get; set; }
    public int HttpStatus { get; set; }
    public string Outcome { get; set; } = "";
    public string? TaskId { get; set; }
    public string? Headers { get; set; }
    public string? Body { get; set; }
}

public sealed class WebhookDeliveryRowConfiguration : IEntityTypeConfiguration<WebhookDeliveryRow>
{
    public void Configure(EntityTypeBuilder<WebhookDeliveryRow> entity)
    {
        entity.ToTable("webhook_deliveries");
        entity.HasKey(d => d.Id).HasName("webhook_deliveries_pkey");
        entity.Property(d => d.Headers).HasColumnType("jsonb");
        entity.HasIndex(d => new { d.JobId, d.Id }).HasDatabaseName("webhook_deliveries_job");
        entity.HasIndex(d => d.ReceivedAt).HasDatabaseName("webhook_deliveries_received");
    }
}
