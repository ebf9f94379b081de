using JobHub.Core.Accounts;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace JobHub.Core.Persistence;

/// <summary>
/// JobHub's tables as one EF Core model, Identity's included, each entity mapped beside its feature (<c>Jobs/JobConfiguration.cs</c>):
/// snake_case columns, the database's own names, the rules' constraints (R4's index, R6's ledger key, the checks) in the model,
/// serial columns as the schema has. <c>Persistence/ModelSchemaTests</c> proves it makes exactly the migrations' schema.
/// </summary>
public sealed class JobHubDbContext(DbContextOptions<JobHubDbContext> options) : IdentityDbContext<JobHubUser, JobHubRole, Guid>(options)
{
    /// <summary>The provider and conventions for a connection string (design time, tests).</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, string connectionString) =>
        Conventions(options.UseNpgsql(connectionString));

    /// <summary>Contexts over a data source, for code that runs outside the DI container (the migrations at start-up, benchmarks, tests).</summary>
    public static IDbContextFactory<JobHubDbContext> FactoryFor(NpgsqlDataSource dataSource) => new DataSourceFactory(dataSource);

    /// <summary>
    /// The conventions every use of the context shares (DI, migrations, design time, tests): one place, so the model
    /// the migrations were made from is the model the app queries with.
    /// </summary>
    public static DbContextOptionsBuilder Conventions(DbContextOptionsBuilder options) => options.UseSnakeCaseNamingConvention();

    /// <summary>Indexes are declared where they serve a query: none added for a foreign key by itself.</summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.Conventions.Remove(typeof(Microsoft.EntityFrameworkCore.Metadata.Conventions.ForeignKeyIndexConvention));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder); // Identity's entities; the configurations below give them JobHub's tables and names
        modelBuilder.UseSerialColumns();
        modelBuilder.HasSequence<long>("jobs_queue_seq");
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(JobHubDbContext).Assembly);
    }

    private sealed class DataSourceFactory(NpgsqlDataSource dataSource) : IDbContextFactory<JobHubDbContext>
    {
        public JobHubDbContext CreateDbContext() =>
            new((DbContextOptions<JobHubDbContext>)Conventions(new DbContextOptionsBuilder<JobHubDbContext>().UseNpgsql(dataSource)).Options);
    }
}
