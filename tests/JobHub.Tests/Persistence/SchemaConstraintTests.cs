using Dapper;
using JobHub.Tests.Infrastructure;
using Npgsql;

namespace JobHub.Tests.Persistence;

/// <summary>The schema itself rejects rows that would break R4 and R6, whatever code writes them.</summary>
public sealed class SchemaConstraintTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private async Task<Guid> InsertUserAsync(NpgsqlConnection connection, int balance = 0)
    {
        var id = Guid.NewGuid();
        var email = $"{id:N}@test.local";
        await connection.ExecuteAsync("""
            INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, security_stamp, concurrency_stamp, credit_balance)
            VALUES (@id, @email, upper(@email), @email, upper(@email), 's', 'c', @balance)
            """, new { id, email, balance });
        return id;
    }

    private static async Task<Guid> InsertJobAsync(NpgsqlConnection connection, Guid userId, string status)
    {
        var id = Guid.NewGuid();
        await connection.ExecuteAsync("""
            INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, updated_at, task_id, completed_at)
            VALUES (@id, @userId, 'image-upscaler', @status, 1, now(), now(),
                    CASE WHEN @status = 'running' THEN @id::text END,
                    CASE WHEN @status IN ('completed', 'failed', 'cancelled') THEN now() END)
            """, new { id, userId, status });
        return id;
    }

    private static async Task InsertLedgerAsync(NpgsqlConnection connection, Guid userId, Guid? jobId, string kind, int amount, int balanceAfter) =>
        await connection.ExecuteAsync("""
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, created_at)
            VALUES (@userId, @jobId, @kind, @amount, @balanceAfter, now())
            """, new { userId, jobId, kind, amount, balanceAfter });

    [Theory]
    [InlineData("queued", "queued")]
    [InlineData("queued", "running")]
    [InlineData("starting", "running")]
    [InlineData("running", "starting")]
    public async Task R4_SecondActiveJobForAUser_IsRejected(string first, string second)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var user = await InsertUserAsync(connection);
        await InsertJobAsync(connection, user, first);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertJobAsync(connection, user, second));

        Assert.Equal("jobs_one_active_per_user", ex.ConstraintName);
    }

    [Fact]
    public async Task R4_ActiveJobBesideTerminalOnes_IsAllowed()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var user = await InsertUserAsync(connection);
        await InsertJobAsync(connection, user, "completed");
        await InsertJobAsync(connection, user, "failed");
        await InsertJobAsync(connection, user, "cancelled");

        await InsertJobAsync(connection, user, "queued");

        Assert.Equal(4, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM jobs WHERE user_id = @user", new { user }));
    }

    [Fact]
    public async Task Jobs_UnknownStatus_IsRejected()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var user = await InsertUserAsync(connection);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertJobAsync(connection, user, "processing"));

        Assert.Equal("jobs_status_valid", ex.ConstraintName);
    }

    [Fact]
    public async Task R6_SecondRefundForAJob_IsRejected()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var user = await InsertUserAsync(connection);
        var job = await InsertJobAsync(connection, user, "failed");
        await InsertLedgerAsync(connection, user, job, "debit", -1, 0);
        await InsertLedgerAsync(connection, user, job, "refund", 1, 1);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertLedgerAsync(connection, user, job, "refund", 1, 2));

        Assert.Equal("credit_ledger_job_kind_key", ex.ConstraintName);
    }

    [Fact]
    public async Task R6_SecondDebitForAJob_IsRejected()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var user = await InsertUserAsync(connection, balance: 10);
        var job = await InsertJobAsync(connection, user, "queued");
        await InsertLedgerAsync(connection, user, job, "debit", -1, 9);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertLedgerAsync(connection, user, job, "debit", -1, 8));

        Assert.Equal("credit_ledger_job_kind_key", ex.ConstraintName);
    }

    [Fact]
    public async Task R6_NegativeBalance_IsRejected()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var user = await InsertUserAsync(connection, balance: 1);

        var ex = await Assert.ThrowsAsync<PostgresException>(() =>
            connection.ExecuteAsync("UPDATE users SET credit_balance = credit_balance - 2 WHERE id = @user", new { user }));
        var ledger = await Assert.ThrowsAsync<PostgresException>(() => InsertLedgerAsync(connection, user, null, "adjustment", -2, -1));

        Assert.Equal("users_credit_balance_non_negative", ex.ConstraintName);
        Assert.Equal("credit_ledger_balance_non_negative", ledger.ConstraintName);
    }

    [Fact]
    public async Task R6_Ledger_IsAppendOnly()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var user = await InsertUserAsync(connection);
        await InsertLedgerAsync(connection, user, null, "grant", 5, 5);

        await Assert.ThrowsAsync<PostgresException>(() =>
            connection.ExecuteAsync("UPDATE credit_ledger SET amount = 50 WHERE user_id = @user", new { user }));
        await Assert.ThrowsAsync<PostgresException>(() =>
            connection.ExecuteAsync("DELETE FROM credit_ledger WHERE user_id = @user", new { user }));
    }

    [Fact]
    public async Task R6_RefundWithoutJob_IsRejected()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var user = await InsertUserAsync(connection);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertLedgerAsync(connection, user, null, "refund", 1, 1));

        Assert.Equal("credit_ledger_job_kinds", ex.ConstraintName);
    }
}
