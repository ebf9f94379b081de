using JobHub.Core.Credits;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace JobHub.Tests.Infrastructure;

public static class TestUsers
{
    /// <summary>A user with a fresh e-mail and, when <paramref name="credits"/> is positive, a ledgered grant.</summary>
    public static async Task<Guid> CreateAsync(IDbContextFactory<JobHubDbContext> contexts, int credits, DateTime at)
    {
        var id = Guid.NewGuid();
        var email = $"{id:N}@test.local";
        await using var db = await contexts.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, security_stamp, concurrency_stamp)
            VALUES ({id}, {email}, upper({email}), {email}, upper({email}), 's', 'c')
            """);
        if (credits > 0)
        {
            await CreditLedger.AddAsync(db, id, LedgerKinds.Grant, credits, "test grant", null, at);
        }

        await transaction.CommitAsync();
        return id;
    }

    public static Task<Guid> CreateAsync(NpgsqlDataSource dataSource, int credits, DateTime at) => CreateAsync(dataSource.Contexts(), credits, at);
}

/// <summary>
/// The tests' own look at the database: SQL as an interpolated string (each value a parameter), run through EF Core's
/// raw-SQL API. <c>ScalarAsync</c> returns the first column of the first row; a statement that changes rows may end
/// with <c>RETURNING 1</c> to be run this way.
/// </summary>
public static class DatabaseQueries
{
    public static async Task<T> ScalarAsync<T>(this IDbContextFactory<JobHubDbContext> contexts, FormattableString sql)
    {
        await using var db = await contexts.CreateDbContextAsync();
        return (await db.Database.SqlQuery<T>(sql).FirstRowAsync())!;
    }

    public static async Task<IReadOnlyList<T>> QueryListAsync<T>(this IDbContextFactory<JobHubDbContext> contexts, FormattableString sql)
    {
        await using var db = await contexts.CreateDbContextAsync();
        return await db.Database.SqlQuery<T>(sql).ToListAsync();
    }

    public static async Task<int> ExecuteAsync(this IDbContextFactory<JobHubDbContext> contexts, FormattableString sql)
    {
        await using var db = await contexts.CreateDbContextAsync();
        return await db.Database.ExecuteSqlAsync(sql);
    }

    public static Task<T> ScalarAsync<T>(this NpgsqlDataSource dataSource, FormattableString sql) => dataSource.Contexts().ScalarAsync<T>(sql);

    public static Task<IReadOnlyList<T>> QueryListAsync<T>(this NpgsqlDataSource dataSource, FormattableString sql) =>
        dataSource.Contexts().QueryListAsync<T>(sql);

    /// <summary>Contexts over a data source of the test's own (a database no JobHub host serves).</summary>
    public static IDbContextFactory<JobHubDbContext> Contexts(this NpgsqlDataSource dataSource) => JobHubDbContext.FactoryFor(dataSource);
}
