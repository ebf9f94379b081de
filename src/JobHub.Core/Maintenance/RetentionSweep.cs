using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using JobHub.Core.Storage;
using JobHub.Core.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Maintenance;

/// <summary>
/// Keeps storage and the record tables bounded, and finishes account deletions cut short: deletes the files of jobs that
/// ended longer ago than <c>FilesRetention</c> (the job rows and their ledger stay), uploads that no job uses, and webhook deliveries
/// older than <c>RecordsRetention</c> (Hangfire expires its own record of the sweeps' runs).
/// </summary>
public sealed class RetentionSweep(IDbContextFactory<JobHubDbContext> contexts, IFileStorage storage, IOptions<MaintenanceOptions> options,
    IOptions<Limits.UploadOptions> uploadBound, Accounts.DeleteAccount deletions, TimeProvider clock)
    : IMaintenanceTask
{
    private const int Batch = 500;

    public string Key => MaintenanceTaskKeys.Retention;

    public string Description => "Finishes interrupted account deletions; deletes old jobs' files, unused uploads and old webhook deliveries.";

    public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var counts = new MaintenanceCounts();
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var jobs = db.Set<Job>();

        foreach (var userId in await deletions.UnfinishedAsync(Batch, cancellationToken))
        {
            var (_, files) = await deletions.FinishAsync(userId, cancellationToken);
            counts.Tally("deletions_finished");
            counts.Tally("files_deleted", files);
        }

        var cutoff = now - options.Value.FilesRetention;
        var ended = await jobs.AsNoTracking()
            .Where(j => JobStatus.Terminal.Contains(j.Status) && j.FilesDeletedAt == null && j.CompletedAt < cutoff)
            .OrderBy(j => j.CompletedAt).Take(Batch).ToListAsync(cancellationToken);
        foreach (var job in ended)
        {
            foreach (var name in job.StoredFiles())
            {
                if (await storage.DeleteAsync(name, cancellationToken))
                {
                    counts.Tally("files_deleted");
                }
            }

            await jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(set => set.SetProperty(j => j.FilesDeletedAt, now), cancellationToken);
            counts.Tally("jobs_cleared");
        }

        var uploads = await storage.ListOlderThanAsync("inputs", now - options.Value.UnusedInputsAfter, Batch, cancellationToken);
        if (uploads.Count > 0)
        {
            // Raw SQL: the stored names sit inside each job's inputs JSON array, which EF's LINQ cannot unnest.
            var used = (await db.Database.SqlQuery<string>($"""
                SELECT DISTINCT name FROM jobs, jsonb_array_elements(inputs) input,
                     LATERAL (VALUES (input ->> 'storedName'), (input ->> 'scaledName')) AS names(name)
                WHERE name = ANY({uploads.ToArray()})
                """).ToListAsync(cancellationToken)).ToHashSet();
            foreach (var unused in uploads.Where(name => !used.Contains(name)))
            {
                await storage.DeleteAsync(unused, cancellationToken);
                counts.Tally("unused_uploads_deleted");
            }
        }

        // An upload counts against its person's bound only within the window: older records serve nothing.
        var uploadsCutoff = now - uploadBound.Value.Window;
        counts.Tally("upload_records_deleted", await db.Set<UploadRecord>().Where(u => u.StoredAt < uploadsCutoff).ExecuteDeleteAsync(cancellationToken));

        var recordsCutoff = now - options.Value.RecordsRetention;
        counts.Tally("webhook_deliveries_deleted", await db.Set<WebhookDeliveryRow>().Where(d => d.ReceivedAt < recordsCutoff)
            .ExecuteDeleteAsync(cancellationToken));
        var noiseCutoff = DateOnly.FromDateTime(recordsCutoff);
        counts.Tally("webhook_noise_days_deleted", await db.Set<WebhookNoiseRow>().Where(n => n.Day < noiseCutoff).ExecuteDeleteAsync(cancellationToken));
        return counts;
    }
}
