using JobHub.Core.Persistence;
using JobHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobHub.Tests.Persistence;

/// <summary>
/// EF Core migrations at start-up: an empty database gets every migration, a second run is a no-op, instances starting
/// together apply each migration once, and a legacy database (made by JobHub's SQL migrator) is adopted in place
/// (its rows kept) or, when it cannot be, refused with what to do and left untouched.
/// </summary>
public sealed class MigrationsTests : IAsyncLifetime
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

    private DatabaseMigrations Migrations() => new(dataSource, NullLogger<DatabaseMigrations>.Instance);

    private Task<IReadOnlyList<string>> HistoryAsync() =>
        dataSource.QueryListAsync<string>($"""SELECT migration_id FROM "__EFMigrationsHistory" ORDER BY migration_id """);

    [Fact]
    public async Task Migrate_AppliesEveryMigration_ToAnEmptyDatabase()
    {
        var applied = await Migrations().MigrateAsync();

        Assert.Contains(DatabaseMigrations.BaselineMigration, applied);
        Assert.Equal(applied, await HistoryAsync());
        var tables = (await dataSource.QueryListAsync<string>($"SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToHashSet();
        foreach (var table in new[] { "users", "roles", "user_roles", "jobs", "job_events", "credit_ledger", "runninghub_accounts",
                     "webhook_deliveries", "maintenance_tasks", "admin_actions", "app_settings", "data_protection_keys" })
        {
            Assert.Contains(table, tables);
        }

        Assert.DoesNotContain("maintenance_runs", tables); // the sweeps' runs are Hangfire's record now

        Assert.Equal(["admin", "user"], await dataSource.QueryListAsync<string>($"SELECT name FROM roles ORDER BY name"));
        Assert.True(await Migrations().IsUpToDateAsync());
    }

    [Fact]
    public async Task Migrate_Twice_IsANoOp()
    {
        await Migrations().MigrateAsync();
        var before = await HistoryAsync();

        Assert.Empty(await Migrations().MigrateAsync());
        Assert.Equal(before, await HistoryAsync());
    }

    [Fact]
    public async Task InstancesStartingTogether_ApplyEachMigrationOnce()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Migrations().MigrateAsync())));

        var applied = results.SelectMany(r => r).ToList();
        Assert.Equal(await HistoryAsync(), applied.Order(StringComparer.Ordinal));
        Assert.Single(results, r => r.Count > 0);
    }

    [Fact]
    public async Task ReadinessCheck_IsUnhealthy_UntilMigrated()
    {
        var check = new ReadinessCheck(Migrations());
        var context = new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext();

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, (await check.CheckHealthAsync(context)).Status);
        await Migrations().MigrateAsync();
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, (await check.CheckHealthAsync(context)).Status);
    }

    [Fact]
    public async Task ADatabaseMadeByTheSqlMigrator_IsAdoptedInPlace_WithItsRows()
    {
        await LegacySchema.CreateAsync(dataSource, LegacySchema.Files.Count);
        var user = await TestUsers.CreateAsync(dataSource, 12, DateTime.UtcNow);

        var applied = await Migrations().MigrateAsync();

        Assert.DoesNotContain(DatabaseMigrations.BaselineMigration, applied); // recorded as applied, not run again
        Assert.Contains(DatabaseMigrations.BaselineMigration, await HistoryAsync());
        Assert.False(await dataSource.ScalarAsync<bool>($"SELECT to_regclass('schema_migrations') IS NOT NULL"));
        Assert.Equal(12, await dataSource.ScalarAsync<int>($"SELECT credit_balance FROM users WHERE id = {user}"));
        Assert.True(await Migrations().IsUpToDateAsync());
        Assert.Empty(await Migrations().MigrateAsync());
    }

    [Fact]
    public async Task AccountsMadeBeforeConfirmationExisted_KeepTheirCredits_AndConfirmingGrantsNothingMore()
    {
        await LegacySchema.CreateAsync(dataSource, LegacySchema.Files.Count);
        var user = await TestUsers.CreateAsync(dataSource, 12, DateTime.UtcNow);

        await Migrations().MigrateAsync();
        await dataSource.Contexts().ExecuteAsync($"UPDATE users SET email_confirmed = true WHERE id = {user}");
        await using var db = await dataSource.Contexts().CreateDbContextAsync();

        Assert.Null(await JobHub.Core.Accounts.SignupGrant.GiveOnceAsync(db, user, [1, 2, 3], 20, DateTime.UtcNow));
        Assert.Equal(12, await dataSource.ScalarAsync<int>($"SELECT credit_balance FROM users WHERE id = {user}"));
    }

    [Fact]
    public async Task ADatabaseTheSqlMigratorLeftHalfway_IsRefusedWithWhatToDo_AndLeftUntouched()
    {
        await LegacySchema.CreateAsync(dataSource, LegacySchema.Files.Count - 1);

        var refused = await Assert.ThrowsAsync<LegacySchemaException>(() => Migrations().MigrateAsync());

        Assert.Contains("0004_data_protection", refused.Message);
        Assert.Contains("Nothing was changed", refused.Message);
        Assert.Equal(LegacySchema.Files.Count - 1, await dataSource.ScalarAsync<int>($"SELECT count(*)::int FROM schema_migrations"));
        Assert.False(await dataSource.ScalarAsync<bool>($"""SELECT to_regclass('"__EFMigrationsHistory"') IS NOT NULL"""));
    }
}

/// <summary>A legacy database's schema, as JobHub's SQL migrator made it (its files, kept in Legacy/).</summary>
public static class LegacySchema
{
    public static IReadOnlyList<string> Files { get; } =
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Persistence", "Legacy"), "*.sql").Order(StringComparer.Ordinal).ToList();

    /// <summary>Applies the first <paramref name="count"/> files and records them as that migrator did.</summary>
    public static async Task CreateAsync(NpgsqlDataSource dataSource, int count)
    {
        await using var context = dataSource.Contexts().CreateDbContext();
        await context.Database.ExecuteSqlAsync(
            $"CREATE TABLE schema_migrations (id text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        foreach (var file in Files.Take(count))
        {
            var sql = (await File.ReadAllTextAsync(file)).ReplaceLineEndings("\n");
            var id = Path.GetFileNameWithoutExtension(file);
            var checksum = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sql)));
            // EF reads {0}-style placeholders in raw SQL; the files' JSON literals ('{}') are braces of their own.
            await context.Database.ExecuteSqlRawAsync(sql.Replace("{", "{{").Replace("}", "}}"));
            await context.Database.ExecuteSqlAsync($"INSERT INTO schema_migrations (id, checksum) VALUES ({id}, {checksum})");
        }
    }
}
