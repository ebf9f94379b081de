using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace JobHub.Core.Maintenance;

/// <summary>
/// Hangfire on the JobHub database (schema <c>hangfire</c>, made by Hangfire.PostgreSql), wired per service provider:
/// the storage, the client, the recurring-job manager and this instance's server all come from DI and the server
/// activates jobs from this provider, so two JobHub hosts in one process (the tests) never share Hangfire's static
/// <c>JobStorage.Current</c> or activator. Enqueued work is picked up through LISTEN/NOTIFY (long polling); should that
/// connection drop and not come back (hangfire-postgres/Hangfire.PostgreSql#410), the one-second poll still finds it.
/// </summary>
public static class HangfireSetup
{
    private static readonly PostgreSqlStorageOptions StorageOptions = new()
    {
        SchemaName = "hangfire",
        PrepareSchemaIfNecessary = true,
        EnableLongPolling = true,
        QueuePollInterval = TimeSpan.FromSeconds(1),
        UseSlidingInvisibilityTimeout = true,
        InvisibilityTimeout = TimeSpan.FromMinutes(5),
    };

    static HangfireSetup()
    {
        // Process-wide and the same for every provider: how jobs are serialized into the storage.
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();
    }

    /// <summary>Hangfire's storage in the JobHub database; its schema is made (or upgraded) on creation, under Hangfire.PostgreSql's own lock.</summary>
    public static PostgreSqlStorage CreateStorage(string connectionString) =>
        new(new NpgsqlConnectionFactory(connectionString, StorageOptions), StorageOptions);

    public static IServiceCollection AddJobHubHangfire(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<JobStorage>(_ => CreateStorage(configuration.GetConnectionString("JobHub") ?? ""));
        services.AddSingleton<IBackgroundJobClient>(provider => new BackgroundJobClient(provider.GetRequiredService<JobStorage>()));
        services.AddSingleton<IRecurringJobManager>(provider => new RecurringJobManager(provider.GetRequiredService<JobStorage>()));
        // What Hangfire's dashboard looks for (it is mapped by the web app).
        services.TryAddSingleton<IGlobalConfiguration>(GlobalConfiguration.Configuration);
        services.TryAddSingleton(DashboardRoutes.Routes);
        services.AddSingleton<HangfireServer>();
        services.AddHostedService(provider => provider.GetRequiredService<HangfireServer>());
        return services;
    }
}

/// <summary>This instance's Hangfire server: the sweeps' queue and the default one, jobs activated from this provider.</summary>
public sealed class HangfireServer(JobStorage storage, IServiceScopeFactory scopes) : IHostedService, IDisposable
{
    private BackgroundJobServer? server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        server = new BackgroundJobServer(new BackgroundJobServerOptions
        {
            ServerName = $"{Environment.MachineName}:{Environment.ProcessId}",
            Queues = [MaintenanceRunner.Queue, "default"],
            WorkerCount = Math.Max(4, Environment.ProcessorCount * 2),
            // The recurring scheduler looks for due sweeps this often: sweeps run every few seconds.
            SchedulePollingInterval = TimeSpan.FromSeconds(1),
            Activator = new AspNetCoreJobActivator(scopes),
        }, storage);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (server is null)
        {
            return;
        }

        server.SendStop();
        await server.WaitForShutdownAsync(cancellationToken);
    }

    public void Dispose() => server?.Dispose();
}
