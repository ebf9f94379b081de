using Dapper;
using JobHub.Core.Credits;
using Npgsql;

namespace JobHub.Tests.Infrastructure;

public static class TestUsers
{
    /// <summary>A user with a fresh e-mail and, when <paramref name="credits"/> is positive, a ledgered grant.</summary>
    public static async Task<Guid> CreateAsync(NpgsqlDataSource db, int credits, DateTime at)
    {
        var id = Guid.NewGuid();
        var email = $"{id:N}@test.local";
        await using var connection = await db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, security_stamp, concurrency_stamp)
            VALUES (@id, @email, upper(@email), @email, upper(@email), 's', 'c')
            """, new { id, email }, transaction);
        if (credits > 0)
        {
            await CreditLedger.AddAsync(connection, transaction, id, LedgerKinds.Grant, credits, "test grant", null, at);
        }

        await transaction.CommitAsync();
        return id;
    }
}

public static class DataSourceQueries
{
    public static async Task<T> ScalarAsync<T>(this NpgsqlDataSource db, string sql, object? parameters = null)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public static async Task<IReadOnlyList<T>> QueryListAsync<T>(this NpgsqlDataSource db, string sql, object? parameters = null)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (await connection.QueryAsync<T>(sql, parameters)).ToList();
    }
}
