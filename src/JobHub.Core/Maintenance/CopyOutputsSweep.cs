using Dapper;
using JobHub.Core.Jobs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Maintenance;

/// <summary>Retries copying result files that are not yet in JobHub's storage, while RunningHub's URLs are still valid.</summary>
public sealed class CopyOutputsSweep(NpgsqlDataSource dataSource, CopyOutputs copyOutputs, IOptions<MaintenanceOptions> options, TimeProvider clock)
    : IMaintenanceTask
{
    /// <summary>A job that completed a moment ago is being copied by the instance that completed it.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    public string Key => MaintenanceTaskKeys.CopyOutputs;

    public string Description => "Copies completed jobs' result files into JobHub's storage where the first copy failed.";

    public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
    {
        var counts = new MaintenanceCounts();
        var now = clock.GetUtcNow().UtcDateTime;
        IReadOnlyList<Guid> pending;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            pending = (await connection.QueryAsync<Guid>(new CommandDefinition("""
                SELECT id FROM jobs
                WHERE status = 'completed' AND outputs_copied_at IS NULL AND output_copy_attempts < @maxAttempts
                  AND completed_at < @settled AND completed_at > @expired
                ORDER BY completed_at LIMIT 100
                """, new
            {
                maxAttempts = options.Value.OutputCopyMaxAttempts,
                settled = now - Grace,
                expired = now - options.Value.OutputUrlLifetime,
            }, cancellationToken: cancellationToken))).ToList();
        }

        foreach (var id in pending)
        {
            counts.Tally(await copyOutputs.CopyAsync(id, cancellationToken) ? "copied" : "not_copied");
        }

        return counts;
    }
}
