using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace JobHub.Core.Persistence;

/// <summary>Ready when the database answers and every migration is applied.</summary>
public sealed class ReadinessCheck(DatabaseMigrations migrations) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await migrations.IsUpToDateAsync(cancellationToken)
                ? HealthCheckResult.Healthy("Database reachable, migrations applied.")
                : HealthCheckResult.Unhealthy("Database reachable, but migrations are missing.");
        }
        catch (Exception ex) when (ex.DatabaseError() is not null || ex is TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy("Database unreachable.", ex);
        }
    }
}
