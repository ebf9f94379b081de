using JobHub.Core.Persistence;
using JobHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace JobHub.Tests.Persistence;

/// <summary>
/// The first EF Core migration, Initial, makes exactly the SQL migrator's schema: tables, columns, keys, checks, indexes,
/// the queue sequence, the ledger's append-only trigger and the roles. So the model carries every rule the schema does,
/// and a legacy database can be adopted as it is.
/// </summary>
public sealed class ModelSchemaTests
{
    [Fact]
    public async Task TheInitialMigration_MakesExactlyTheSchemaTheSqlMigratorMade()
    {
        var migrated = await TestDatabase.CreateEmptyAsync();
        var legacy = await TestDatabase.CreateEmptyAsync();
        try
        {
            // Up to Initial, the migration a legacy database is adopted as; the later ones then run on it as on any other.
            var options = JobHubDbContext.Configure(new DbContextOptionsBuilder<JobHubDbContext>(), TestDatabase.ConnectionStringFor(migrated)).Options;
            await using (var context = new JobHubDbContext((DbContextOptions<JobHubDbContext>)options))
            {
                await context.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(DatabaseMigrations.BaselineMigration);
            }

            await using (var dataSource = Database.CreateDataSource(TestDatabase.ConnectionStringFor(legacy)))
            {
                await LegacySchema.CreateAsync(dataSource, LegacySchema.Files.Count);
            }

            var expected = await CatalogAsync(legacy);
            var actual = await CatalogAsync(migrated);

            var missing = expected.Where(line => !actual.Contains(line)).Order().ToList();
            var extra = actual.Where(line => !expected.Contains(line)).Order().ToList();
            Assert.True(missing.Count + extra.Count == 0,
                $"the migrations lack:\n{string.Join("\n", missing)}\nthe migrations add:\n{string.Join("\n", extra)}");
            Assert.True(expected.Count > 150, $"only {expected.Count} schema lines were compared");
        }
        finally
        {
            await TestDatabase.DropAsync(migrated);
            await TestDatabase.DropAsync(legacy);
        }
    }

    [Fact]
    public async Task TheEfModel_HasNoChangeWithoutAMigration()
    {
        var migrated = await TestDatabase.CreateMigratedAsync();
        try
        {
            var options = JobHubDbContext.Configure(new DbContextOptionsBuilder<JobHubDbContext>(), TestDatabase.ConnectionStringFor(migrated)).Options;
            await using var context = new JobHubDbContext((DbContextOptions<JobHubDbContext>)options);
            Assert.False(context.Database.HasPendingModelChanges(), "the model changed: add a migration (docs/architecture.md, \"Adding a migration\")");
        }
        finally
        {
            await TestDatabase.DropAsync(migrated);
        }
    }

    /// <summary>The schema as lines of text, the migrator's own bookkeeping table left out.</summary>
    private static async Task<HashSet<string>> CatalogAsync(string database)
    {
        await using var dataSource = NpgsqlDataSource.Create(TestDatabase.ConnectionStringFor(database));
        var db = dataSource.Contexts();
        var lines = new HashSet<string>(StringComparer.Ordinal);
        lines.UnionWith(await db.QueryListAsync<string>($"""
            SELECT 'column ' || table_name || '.' || column_name || ' ' || format_type(a.atttypid, a.atttypmod) || ' nullable=' || is_nullable
                   || ' default=' || coalesce(column_default, '')
            FROM information_schema.columns c
            JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass AND a.attname = c.column_name
            WHERE c.table_schema = 'public' AND c.table_name NOT IN ('schema_migrations', '__EFMigrationsHistory')
            """));
        lines.UnionWith(await db.QueryListAsync<string>($"""
            SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT IN ('schema_migrations', '"__EFMigrationsHistory"')
            """));
        lines.UnionWith(await db.QueryListAsync<string>($"""
            SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT IN ('schema_migrations', '__EFMigrationsHistory')
            """));
        lines.UnionWith(await db.QueryListAsync<string>(
            $"SELECT 'sequence ' || sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"));
        lines.UnionWith(await db.QueryListAsync<string>($"SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"));
        lines.UnionWith((await db.QueryListAsync<string>(
            $"SELECT 'function ' || proname || ': ' || prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace"))
            .Select(function => function.ReplaceLineEndings("\n")));
        lines.UnionWith(await db.QueryListAsync<string>($"SELECT 'role ' || id || ' ' || name || ' ' || normalized_name FROM roles"));
        return lines;
    }
}
