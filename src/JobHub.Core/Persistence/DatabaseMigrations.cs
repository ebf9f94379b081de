using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobHub.Core.Persistence;

/// <summary>
/// Start-up refused because the database was made by an older JobHub that had not finished its own migrations; the
/// message says what to do. Nothing was changed.
/// </summary>
public sealed class LegacySchemaException(string message) : Exception(message);

/// <summary>
/// Applies the EF Core migrations at start-up under one advisory lock (instances starting together apply each once), each in
/// its own transaction. A legacy database (the SQL migrator's <c>schema_migrations</c>, its four files unchanged) has the
/// <c>Initial</c> schema (ModelSchemaTests), so it is adopted as such; any other is refused with what to do, never half-migrated.
/// </summary>
public sealed class DatabaseMigrations(NpgsqlDataSource dataSource, ILogger<DatabaseMigrations> logger)
{
    private const long LockKey = 0x4A6F624875624D; // "JobHubM", the key the SQL migrator used too

    /// <summary>The files the SQL migrator applied, with the checksums it recorded for them (SHA-256 of the text).</summary>
    public static readonly IReadOnlyDictionary<string, string> LegacyMigrations = new Dictionary<string, string>
    {
        ["0001_initial"] = "2DB81784B0ED6A833969C8187AD71AAA807B00876ECE92217777C3AE6050BD86",
        ["0002_engine"] = "1675FF1D6F74263231CB61B0A6330783032289A54D72AD0387B643FD508046C9",
        ["0003_maintenance"] = "876B4706D92AC7AA599110BD4E3A993FEAEC133DCF5F54247B0198EA405FE8FA",
        ["0004_data_protection"] = "C1201063F2DE0B098743F938326DBA3206CA040F35EC5DB19AE1671C48D0BFD2",
    };

    public const string BaselineMigration = "20261125003326_Initial";

    /// <summary>Applies what is pending; returns the migrations applied now (empty when the database was up to date).</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var context = Context();
        // One connection, held open, for the session-level lock and everything done under it. Raw SQL: EF has no advisory locks.
        await context.Database.OpenConnectionAsync(cancellationToken);
        await context.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await AdoptLegacyDatabaseAsync(context, cancellationToken);
            var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                await context.Database.MigrateAsync(cancellationToken);
                logger.LogInformation("Applied migrations {Migrations}", string.Join(", ", pending));
            }

            return pending;
        }
        finally
        {
            await context.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    /// <summary>True when every migration is applied (the readiness check).</summary>
    public async Task<bool> IsUpToDateAsync(CancellationToken cancellationToken = default)
    {
        await using var context = Context();
        return !(await context.Database.GetPendingMigrationsAsync(cancellationToken)).Any();
    }

    private JobHubDbContext Context() => JobHubDbContext.FactoryFor(dataSource).CreateDbContext();

    private sealed record LegacyMigration(string Id, string Checksum);

    private async Task AdoptLegacyDatabaseAsync(JobHubDbContext context, CancellationToken cancellationToken)
    {
        // Raw SQL (catalog lookups EF has no API for); one statement decides: is this a legacy database that EF has not adopted yet?
        var legacy = await context.Database.SqlQueryRaw<bool>("""
            SELECT to_regclass('public.schema_migrations') IS NOT NULL AND to_regclass('public."__EFMigrationsHistory"') IS NULL
            """).ToListAsync(cancellationToken);
        if (!legacy[0])
        {
            return;
        }

        // Raw SQL: the legacy migrator's table is not part of the model.
        var applied = (await context.Database.SqlQueryRaw<LegacyMigration>("""SELECT id, checksum FROM schema_migrations""")
            .ToListAsync(cancellationToken)).ToDictionary(m => m.Id, m => m.Checksum);
        var missing = LegacyMigrations.Keys.Where(id => !applied.ContainsKey(id)).ToList();
        var changed = applied.Where(a => !LegacyMigrations.TryGetValue(a.Key, out var checksum) || checksum != a.Value).Select(a => a.Key).ToList();
        if (missing.Count > 0 || changed.Count > 0)
        {
            throw new LegacySchemaException(
                $"This database was made by an older JobHub whose SQL migrations are not the ones this version can adopt " +
                $"(missing: {(missing.Count == 0 ? "none" : string.Join(", ", missing))}; unknown or edited: {(changed.Count == 0 ? "none" : string.Join(", ", changed))}). " +
                "Nothing was changed. Start the JobHub version of 2026-11-24 on it once (it applies its remaining SQL migrations), " +
                "then start this version; or give this version an empty database.");
        }

        var history = context.GetService<IHistoryRepository>();
        var productVersion = typeof(DbContext).Assembly.GetName().Version!.ToString(3);
        // Raw SQL: EF's own history scripts (made from constants), with the legacy table dropped in the same transaction.
        var adopt = history.GetCreateScript() + ";\n" + history.GetInsertScript(new HistoryRow(BaselineMigration, productVersion)) + ";\n" +
            "DROP TABLE schema_migrations;";
        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        await context.Database.ExecuteSqlRawAsync(adopt, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Adopted a database made by the SQL migrator: {Migration} recorded as applied", BaselineMigration);
    }
}
