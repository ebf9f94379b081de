using Dapper;
using JobHub.Core.Persistence;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobHub.Tests.Persistence;

public sealed class MigratorTests : IAsyncLifetime
{
    private string database = "";
    private NpgsqlDataSource dataSource = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateEmptyAsync();
        dataSource = Database.CreateDataSource(TestDatabase.ConnectionStringFor(database));
    }

    public async Task DisposeAsync()
    {
        await dataSource.DisposeAsync();
        await TestDatabase.DropAsync(database);
    }

    private Migrator NewMigrator() => new(dataSource, NullLogger<Migrator>.Instance);

    [Fact]
    public void EmbeddedMigrations_AreNumberedAndOrdered()
    {
        Assert.NotEmpty(Migrator.Embedded);
        Assert.All(Migrator.Embedded, m => Assert.Matches(@"^\d{4}_[a-z0-9_]+$", m.Id));
        Assert.Equal(Migrator.Embedded.Select(m => m.Id).Order(StringComparer.Ordinal), Migrator.Embedded.Select(m => m.Id));
    }

    [Fact]
    public async Task Migrate_AppliesEveryFile_ToAnEmptyDatabase()
    {
        var applied = await NewMigrator().MigrateAsync();

        Assert.Equal(Migrator.Embedded.Select(m => m.Id), applied);
        await using var connection = await dataSource.OpenConnectionAsync();
        var tables = (await connection.QueryAsync<string>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToHashSet();
        foreach (var table in new[] { "users", "roles", "user_roles", "jobs", "job_events", "credit_ledger", "runninghub_accounts",
                     "webhook_deliveries", "maintenance_runs", "maintenance_tasks", "admin_actions", "schema_migrations" })
        {
            Assert.Contains(table, tables);
        }

        Assert.True(await NewMigrator().IsUpToDateAsync());
    }

    [Fact]
    public async Task Migrate_Twice_IsANoOp()
    {
        await NewMigrator().MigrateAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        var before = await connection.QueryAsync<(string, DateTime)>("SELECT id, applied_at FROM schema_migrations ORDER BY id");

        var second = await NewMigrator().MigrateAsync();

        Assert.Empty(second);
        Assert.Equal(before, await connection.QueryAsync<(string, DateTime)>("SELECT id, applied_at FROM schema_migrations ORDER BY id"));
    }

    [Fact]
    public async Task Migrate_RefusesToStart_WhenAnAppliedFileChanged()
    {
        await NewMigrator().MigrateAsync();
        var edited = Migrator.Embedded
            .Select((m, i) => i == 0 ? new Migration(m.Id, m.Sql + "\n-- edited after it shipped\n") : m)
            .ToList();

        var ex = await Assert.ThrowsAsync<MigrationChecksumException>(() => NewMigrator().MigrateAsync(edited, CancellationToken.None));

        Assert.Contains(Migrator.Embedded[0].Id, ex.Message);
        Assert.Contains("must never be edited", ex.Message);
    }

    [Fact]
    public async Task Migrate_AppliesANewFile_AndNotTheOldOnesAgain()
    {
        await NewMigrator().MigrateAsync();
        var withNew = Migrator.Embedded.Append(new Migration("9999_test_extra", "CREATE TABLE test_extra (id int)")).ToList();

        var applied = await NewMigrator().MigrateAsync(withNew, CancellationToken.None);

        Assert.Equal(["9999_test_extra"], applied);
    }

    [Fact]
    public async Task Migrate_FailingFile_RollsBackOnlyThatFile()
    {
        var broken = Migrator.Embedded.Append(new Migration("9999_broken", "CREATE TABLE half_done (id int); SELECT 1/0;")).ToList();

        await Assert.ThrowsAsync<PostgresException>(() => NewMigrator().MigrateAsync(broken, CancellationToken.None));

        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('half_done') IS NOT NULL"));
        Assert.Equal(Migrator.Embedded.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Migrate_ConcurrentMigrators_ApplyEachFileOnce()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => NewMigrator().MigrateAsync())));

        var appliedIds = results.SelectMany(r => r).ToList();
        Assert.Equal(Migrator.Embedded.Select(m => m.Id).Order(), appliedIds.Order());
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(Migrator.Embedded.Count, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task ReadinessCheck_IsUnhealthy_UntilMigrated()
    {
        var check = new ReadinessCheck(NewMigrator());
        var context = new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext();

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, (await check.CheckHealthAsync(context)).Status);
        await NewMigrator().MigrateAsync();
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, (await check.CheckHealthAsync(context)).Status);
    }
}
