using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Maintenance;

/// <summary>
/// Hangfire on the JobHub database (schema <c>hangfire</c>), wired per service provider: storage, client, recurring jobs and
/// servers come from DI, so two hosts in one process (the tests) never share <c>JobStorage.Current</c> or its activator.
/// Workers poll rather than long-poll, which wakes every worker at each enqueue (docs/decisions/0005-hangfire-polling.md).
/// </summary>
public static class HangfireSetup
{
    /// <summary>How often an idle sweep worker looks for an enqueued run ("Run now", a recurring tick).</summary>
    public static readonly TimeSpan SweepPollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How often an idle copy worker looks for an enqueued copy.</summary>
    public static readonly TimeSpan CopyPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How old a Hangfire lock must be to be taken as abandoned: its locks are rows, so one held over a cut connection or by a
    /// dead instance stays until this old, and the sweep it guards waits as long. Hangfire holds a lock for moments only.
    /// </summary>
    public static readonly TimeSpan AbandonedLockAfter = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an instance's stop waits for each of its Hangfire servers. Their jobs under way are aborted at once (a sweep's
    /// run and a copy are idempotent) and requeued for another instance, and each server removes itself from Hangfire's list
    /// of servers. The host's shutdown time (<c>JobHub:Drain:StopTimeout</c>) is longer.
    /// </summary>
    public static readonly TimeSpan ServerShutdownTimeout = TimeSpan.FromSeconds(15);

    private static PostgreSqlStorageOptions StorageOptions(TimeSpan pollInterval, bool prepareSchema) => new()
    {
        SchemaName = "hangfire",
        PrepareSchemaIfNecessary = prepareSchema,
        EnableLongPolling = false,
        QueuePollInterval = pollInterval,
        // A running job's fetch is kept alive while its instance lives; a job of an instance that died (SIGKILL) is taken
        // up by another a minute later.
        UseSlidingInvisibilityTimeout = true,
        InvisibilityTimeout = TimeSpan.FromMinutes(1),
        // A lock left by a cut connection or a dead instance is taken over after seconds rather than Hangfire.PostgreSql's
        // ten minutes.
        DistributedLockTimeout = AbandonedLockAfter,
    };

    static HangfireSetup()
    {
        // Process-wide and the same for every provider: how jobs are serialized into the storage.
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();
    }

    /// <summary>
    /// Hangfire's storage in the JobHub database, as the client, the dashboard and the sweeps' server use it; its schema is
    /// made (or upgraded) on creation, under Hangfire.PostgreSql's own lock.
    /// </summary>
    public static PostgreSqlStorage CreateStorage(string connectionString) => Create(connectionString, StorageOptions(SweepPollInterval, prepareSchema: true));

    /// <summary>The same storage as the copies' server reads it: its workers poll more often.</summary>
    public static PostgreSqlStorage CreateCopyStorage(string connectionString) => Create(connectionString, StorageOptions(CopyPollInterval, prepareSchema: false));

    private static PostgreSqlStorage Create(string connectionString, PostgreSqlStorageOptions options) =>
        new(new NpgsqlConnectionFactory(connectionString, options), options);

    public static IServiceCollection AddJobHubHangfire(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<JobStorage>(_ => CreateStorage(configuration.GetConnectionString("JobHub") ?? ""));
        services.AddSingleton<IBackgroundJobClient>(provider => new BackgroundJobClient(provider.GetRequiredService<JobStorage>()));
        services.AddSingleton<IRecurringJobManager>(provider => new RecurringJobManager(provider.GetRequiredService<JobStorage>()));
        // What Hangfire's dashboard looks for (it is mapped by the web app).
        services.TryAddSingleton<IGlobalConfiguration>(GlobalConfiguration.Configuration);
        services.TryAddSingleton(DashboardRoutes.Routes);
        services.AddSingleton(_ => new CopyStorage(CreateCopyStorage(configuration.GetConnectionString("JobHub") ?? "")));
        services.AddSingleton<HangfireServer>();
        services.AddHostedService(provider => provider.GetRequiredService<HangfireServer>());
        return services;
    }
}

/// <summary>
/// This instance's Hangfire servers, jobs activated from this provider: one for the sweeps (and the recurring and delayed
/// schedulers), one for the output copies with workers of their own, so that long downloads never hold up a sweep.
/// </summary>
public sealed class HangfireServer(JobStorage storage, CopyStorage copyStorage, IServiceScopeFactory scopes, IOptions<MaintenanceOptions> options)
    : IHostedService, IDisposable
{
    private readonly List<BackgroundJobServer> servers = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var name = $"{Environment.MachineName}:{Environment.ProcessId}";
        servers.Add(new BackgroundJobServer(new BackgroundJobServerOptions
        {
            ServerName = name,
            Queues = [MaintenanceRunner.Queue, "default"],
            WorkerCount = Math.Max(4, Environment.ProcessorCount * 2),
            // The recurring scheduler looks for due sweeps this often (sweeps run every few seconds), the delayed one for
            // copies whose retry is due.
            SchedulePollingInterval = TimeSpan.FromSeconds(1),
            StopTimeout = TimeSpan.Zero,
            ShutdownTimeout = HangfireSetup.ServerShutdownTimeout,
            Activator = new AspNetCoreJobActivator(scopes),
        }, storage));
        if (options.Value.OutputCopyWorkers > 0)
        {
            servers.Add(new BackgroundJobServer(new BackgroundJobServerOptions
            {
                ServerName = name + ":outputs",
                Queues = [CopyOutputs.Queue],
                WorkerCount = options.Value.OutputCopyWorkers,
                StopTimeout = TimeSpan.Zero,
                ShutdownTimeout = HangfireSetup.ServerShutdownTimeout,
                Activator = new AspNetCoreJobActivator(scopes),
            }, copyStorage.Storage));
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var server in servers)
        {
            server.SendStop();
        }

        await Task.WhenAll(servers.Select(server => server.WaitForShutdownAsync(cancellationToken)));
    }

    public void Dispose()
    {
        foreach (var server in servers)
        {
            server.Dispose();
        }
    }
}

/// <summary>Hangfire's storage as this instance's copy workers read it (see <see cref="HangfireSetup.CreateCopyStorage"/>).</summary>
public sealed record CopyStorage(JobStorage Storage);
