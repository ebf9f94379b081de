using JobHub.Core.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Core;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers everything in JobHub.Core: the database, the migrator and the time source.</summary>
    public static IServiceCollection AddJobHubCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => Database.CreateDataSource(configuration.GetConnectionString("JobHub") ?? ""));
        services.AddSingleton<Migrator>();
        return services;
    }
}
