using Npgsql;
using JobHub.Core.Accounts;
using Microsoft.EntityFrameworkCore;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Background;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Maintenance;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Core.Storage;
using JobHub.Core.Tools;
using JobHub.Core.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobHub.Core;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers everything in JobHub.Core, with the HTTP RunningHub client.</summary>
    public static IServiceCollection AddJobHubCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Random.Shared);
        services.AddSingleton(_ => Database.CreateDataSource(configuration.GetConnectionString("JobHub") ?? ""));
        services.AddSingleton<DatabaseMigrations>();
        services.AddMetrics(); // the engine's meter comes from the host's factory, so that each host's exporter sees its own
        services.AddSingleton<Telemetry.EngineMetrics>();
        // One pooled context factory: use cases create a context per unit of work (a Blazor component never holds one);
        // Identity's stores get a scoped context from it.
        services.AddPooledDbContextFactory<JobHubDbContext>((provider, options) =>
            JobHubDbContext.Conventions(options.UseNpgsql(provider.GetRequiredService<NpgsqlDataSource>())));
        services.AddScoped(provider => provider.GetRequiredService<IDbContextFactory<JobHubDbContext>>().CreateDbContext());

        services.AddOptions<JobHubOptions>().BindConfiguration(JobHubOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RunningHubOptions>().BindConfiguration(RunningHubOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<MaintenanceOptions>().BindConfiguration(MaintenanceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Limits.RateLimitOptions>().BindConfiguration(Limits.RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Limits.RateLimits>();
        services.AddOptions<Mail.MailOptions>().BindConfiguration(Mail.MailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Mail.MailSender>();
        services.AddSingleton<Accounts.AccountMailRequests>();
        services.AddOptions<Limits.UploadOptions>().BindConfiguration(Limits.UploadOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Limits.ImageWork>();
        services.AddSingleton<UploadQuota>();
        services.AddSingleton<UploadedInputs>();
        services.AddOptions<ToolsOptions>()
            .Configure(options => configuration.GetSection(ToolsOptions.Section).Bind(options.Tools))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ToolsOptions>, ToolsOptionsValidator>();

        services.AddSingleton<ToolCatalog>();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddSingleton<IFileStorage>(provider => provider.GetRequiredService<IOptions<StorageOptions>>().Value.Backend == StorageBackend.S3
            ? ActivatorUtilities.CreateInstance<S3FileStorage>(provider)
            : ActivatorUtilities.CreateInstance<LocalFileStorage>(provider));
        services.AddSingleton<RunningHubAccounts>();
        services.AddHttpClient<IRunningHubClient, RunningHubHttpClient>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.AddSingleton<ServerSecrets>();
        services.AddSingleton<WebhookTokens>();
        services.AddSingleton<GrantedAddresses>();
        services.AddSingleton<QueueView>();
        services.AddSingleton<JobTermination>();
        services.AddSingleton<TerminationBatcher>();
        services.AddSingleton<AdmissionBatcher>();
        services.AddSingleton<JobLauncher>();
        // The launcher ends a failed launch through the termination, which launches what it promotes: resolved when first used.
        services.AddSingleton(provider => new Lazy<JobLauncher>(provider.GetRequiredService<JobLauncher>));
        services.AddSingleton<SubmitJob>();
        services.AddSingleton<RunAgain>();
        services.AddSingleton<StoreInput>();
        services.AddSingleton<FinishJob>();
        services.AddSingleton<CancelJob>();
        services.AddSingleton<Accounts.DeleteAccount>();
        services.AddSingleton<Accounts.ExportAccountData>();
        services.AddSingleton<ReconcileJob>();
        services.AddSingleton<QueueHeartbeat>();
        services.AddSingleton<JobQueries>();
        services.AddSingleton<ResultThumbnails>();
        services.AddSingleton<RunTimes>();
        services.AddSingleton<Admin.AdminQueries>();
        services.AddSingleton<Admin.AdminActions>();
        services.AddSingleton<Invariants.InvariantChecker>();
        services.AddSingleton<CopyOutputs>();
        services.AddSingleton<JobChangeFeed>();
        services.AddSingleton<OutputUrlPolicy>();
        // Result downloads: redirects followed by hand (each hop checked), connections only where the policy allows.
        services.AddHttpClient(CopyOutputs.HttpClientName, http => http.Timeout = TimeSpan.FromMinutes(5))
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false, // a proxy from the environment would open the connection itself, past the address check
                ConnectCallback = provider.GetRequiredService<OutputUrlPolicy>().ConnectAsync,
            });
        services.AddSingleton<ReceiveWebhook>();
        services.AddSingleton<WebhookNoise>();
        services.AddHostedService(provider => provider.GetRequiredService<WebhookNoise>());
        services.AddHostedService<EngineLifetime>();

        services.AddSingleton<IMaintenanceTask, ReconcileRunningSweep>();
        services.AddSingleton<IMaintenanceTask, OrphanedStartingSweep>();
        services.AddSingleton<IMaintenanceTask, AbandonedQueueSweep>();
        services.AddSingleton<IMaintenanceTask, QueueMaxWaitSweep>();
        services.AddSingleton<IMaintenanceTask, PromoteQueueSweep>();
        services.AddSingleton<IMaintenanceTask, CopyOutputsSweep>();
        services.AddSingleton<IMaintenanceTask, RetentionSweep>();
        services.AddSingleton<MaintenanceRunner>();
        services.AddSingleton<MaintenanceSchedule>();
        services.AddJobHubHangfire(configuration);
        services.AddHostedService(provider => provider.GetRequiredService<MaintenanceSchedule>());
        return services;
    }
}
