using Dapper;
using JobHub.Core.Persistence;
using JobHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace JobHub.Tests.Persistence;

/// <summary>
/// The EF Core model (one context, a configuration per entity beside its feature) describes exactly the schema the
/// migrations made: every table and column with its type, nullability and default, every key, foreign key and check
/// constraint with its definition, every index (partial and descending ones included) and the queue sequence. So
/// moving the migrations and the data access onto EF loses no rule the schema carries.
/// </summary>
public sealed class ModelSchemaTests
{
    [Fact]
    public async Task TheEfModel_CreatesExactlyTheSchemaTheMigrationsMade()
    {
        var migrated = await TestDatabase.CreateMigratedAsync();
        var fromModel = await TestDatabase.CreateEmptyAsync();
        try
        {
            var options = JobHubDbContext.Configure(new DbContextOptionsBuilder<JobHubDbContext>(), TestDatabase.ConnectionStringFor(fromModel)).Options;
            string script;
            await using (var context = new JobHubDbContext((DbContextOptions<JobHubDbContext>)options))
            {
                script = context.Database.GenerateCreateScript();
            }

            await using (var connection = new NpgsqlConnection(TestDatabase.ConnectionStringFor(fromModel)))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand(script, connection);
                await create.ExecuteNonQueryAsync();
            }

            var expected = await CatalogAsync(migrated);
            var actual = await CatalogAsync(fromModel);

            var missing = expected.Where(line => !actual.Contains(line)).Order().ToList();
            var extra = actual.Where(line => !expected.Contains(line)).Order().ToList();
            Assert.True(missing.Count + extra.Count == 0,
                $"the model lacks:\n{string.Join("\n", missing)}\nthe model adds:\n{string.Join("\n", extra)}");
            Assert.True(expected.Count > 150, $"only {expected.Count} schema lines were compared");
        }
        finally
        {
            await TestDatabase.DropAsync(migrated);
            await TestDatabase.DropAsync(fromModel);
        }
    }

    /// <summary>The schema as lines of text, the migrator's own bookkeeping table left out.</summary>
    private static async Task<HashSet<string>> CatalogAsync(string database)
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionStringFor(database));
        await connection.OpenAsync();
        var lines = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in await connection.QueryAsync<(string Table, string Column, string Type, string Nullable, string? Default)>("""
            SELECT table_name, column_name, format_type(a.atttypid, a.atttypmod), is_nullable, column_default
            FROM information_schema.columns c
            JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass AND a.attname = c.column_name
            WHERE c.table_schema = 'public' AND c.table_name NOT IN ('schema_migrations', '__EFMigrationsHistory')
            """))
        {
            lines.Add($"column {column.Table}.{column.Column} {column.Type} nullable={column.Nullable} default={column.Default}");
        }

        foreach (var constraint in await connection.QueryAsync<(string Table, string Name, string Definition)>("""
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text NOT IN ('schema_migrations', '"__EFMigrationsHistory"')
            """))
        {
            lines.Add($"constraint {constraint.Table}.{constraint.Name} {constraint.Definition}");
        }

        foreach (var index in await connection.QueryAsync<string>("""
            SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT IN ('schema_migrations', '__EFMigrationsHistory')
            """))
        {
            lines.Add($"index {index}");
        }

        foreach (var sequence in await connection.QueryAsync<string>("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"))
        {
            lines.Add($"sequence {sequence}");
        }

        return lines;
    }
}
