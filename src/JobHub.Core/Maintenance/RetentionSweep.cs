using Dapper;
using JobHub.Core.Jobs;
using JobHub.Core.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Maintenance;

/// <summary>
/// Keeps storage and the record tables bounded: deletes the files of jobs that ended longer ago than
/// <c>FilesRetention</c> (the job rows and their ledger stay), uploads that no job uses, and webhook deliveries
/// and maintenance runs older than <c>RecordsRetention</c>.
/// </summary>
public sealed class RetentionSweep(NpgsqlDataSource dataSource, IFileStorage storage, IOptions<MaintenanceOptions> options, TimeProvider clock)
    : IMaintenanceTask
{
    private const int Batch = 500;

    public string Key => MaintenanceTaskKeys.Retention;

    public string Description => "Deletes old jobs' files, unused uploads, and old webhook deliveries and maintenance runs.";

    public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var counts = new MaintenanceCounts();
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        var ended = (await connection.QueryAsync<Job>(new CommandDefinition("""
            SELECT * FROM jobs
            WHERE status IN ('completed', 'failed', 'cancelled') AND files_deleted_at IS NULL AND completed_at < @cutoff
            ORDER BY completed_at LIMIT @Batch
            """, new { cutoff = now - options.Value.FilesRetention, Batch }, cancellationToken: cancellationToken))).ToList();
        foreach (var job in ended)
        {
            foreach (var name in job.InputFiles.SelectMany(i => i.Files).Concat(job.OutputFiles.Select(o => o.StoredName)).OfType<string>())
            {
                storage.Delete(name);
                counts.Tally("files_deleted");
            }

            await connection.ExecuteAsync("UPDATE jobs SET files_deleted_at = @now WHERE id = @Id", new { now, job.Id });
            counts.Tally("jobs_cleared");
        }

        var uploads = storage.ListOlderThan("inputs", now - options.Value.UnusedInputsAfter, Batch);
        if (uploads.Count > 0)
        {
            var used = (await connection.QueryAsync<string>(new CommandDefinition("""
                SELECT DISTINCT name FROM jobs, jsonb_array_elements(inputs) input,
                     LATERAL (VALUES (input ->> 'storedName'), (input ->> 'scaledName')) AS names(name)
                WHERE name = ANY(@uploads)
                """, new { uploads = uploads.ToArray() }, cancellationToken: cancellationToken))).ToHashSet();
            foreach (var unused in uploads.Where(name => !used.Contains(name)))
            {
                storage.Delete(unused);
                counts.Tally("unused_uploads_deleted");
            }
        }

        var recordsCutoff = now - options.Value.RecordsRetention;
        counts.Tally("webhook_deliveries_deleted", await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM webhook_deliveries WHERE received_at < @recordsCutoff", new { recordsCutoff }, cancellationToken: cancellationToken)));
        counts.Tally("maintenance_runs_deleted", await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM maintenance_runs WHERE started_at < @recordsCutoff AND outcome <> 'running'", new { recordsCutoff },
            cancellationToken: cancellationToken)));
        return counts;
    }
}
