using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobHub.Core.Persistence;

/// <summary>One numbered SQL file embedded in JobHub.Core.</summary>
public sealed record Migration(string Id, string Sql)
{
    public string Checksum { get; } = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.ReplaceLineEndings("\n"))));
}

public sealed class MigrationChecksumException(string message) : Exception(message);

/// <summary>
/// Applies the embedded <c>Persistence/Migrations/*.sql</c> files in name order. All instances
/// serialise on one advisory lock, so two instances starting at once apply each file once; each
/// file runs in its own transaction together with its <c>schema_migrations</c> row.
/// </summary>
public sealed class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    private const long LockKey = 0x4A6F624875624D; // "JobHubM"

    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken = default) =>
        await MigrateAsync(Embedded, cancellationToken);

    internal async Task<IReadOnlyList<string>> MigrateAsync(IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: cancellationToken));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id         text PRIMARY KEY,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<(string Id, string Checksum)>(
                    new CommandDefinition("SELECT id, checksum FROM schema_migrations", cancellationToken: cancellationToken)))
                .ToDictionary(row => row.Id, row => row.Checksum);

            foreach (var migration in migrations)
            {
                if (applied.TryGetValue(migration.Id, out var checksum) && checksum != migration.Checksum)
                {
                    throw new MigrationChecksumException(
                        $"Migration {migration.Id} was already applied to this database with checksum {checksum}, but the file " +
                        $"now has checksum {migration.Checksum}. Applied migrations must never be edited: restore the original " +
                        "file and put the change in a new numbered migration.");
                }
            }

            var newlyApplied = new List<string>();
            foreach (var migration in migrations.Where(m => !applied.ContainsKey(m.Id)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (id, checksum) VALUES (@Id, @Checksum)",
                    new { migration.Id, migration.Checksum }, transaction, cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Migration}", migration.Id);
                newlyApplied.Add(migration.Id);
            }

            foreach (var unknown in applied.Keys.Except(migrations.Select(m => m.Id)))
            {
                logger.LogWarning("The database has migration {Migration}, which this build does not know (a newer build ran here)", unknown);
            }

            return newlyApplied;
        }
        finally
        {
            // Pooled connections outlive this method, so the session lock is released explicitly.
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@LockKey)", new { LockKey });
        }
    }

    /// <summary>True when every embedded migration is recorded, with its checksum, in the database.</summary>
    public async Task<bool> IsUpToDateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", cancellationToken: cancellationToken));
        if (!exists)
        {
            return false;
        }

        var applied = (await connection.QueryAsync<(string Id, string Checksum)>(
                new CommandDefinition("SELECT id, checksum FROM schema_migrations", cancellationToken: cancellationToken)))
            .ToHashSet();
        return Embedded.All(m => applied.Contains((m.Id, m.Checksum)));
    }

    private static IReadOnlyList<Migration> LoadEmbedded()
    {
        var assembly = typeof(Migrator).Assembly;
        const string prefix = "JobHub.Core.Persistence.Migrations.";
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name =>
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                return new Migration(name[prefix.Length..^".sql".Length], reader.ReadToEnd());
            })
            .ToList();
    }
}
