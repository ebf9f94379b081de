using JobHub.Core.Persistence;
using JobHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace JobHub.Tests.Persistence;

/// <summary>The schema itself rejects rows that would break R4 and R6, whatever code writes them.</summary>
public sealed class SchemaConstraintTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private JobHubDbContext Context() => db.DataSource.Contexts().CreateDbContext();

    private static async Task<Guid> InsertUserAsync(JobHubDbContext context, int balance = 0)
    {
        var id = Guid.NewGuid();
        var email = $"{id:N}@test.local";
        await context.Database.ExecuteSqlAsync($"""
            INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, security_stamp, concurrency_stamp, credit_balance)
            VALUES ({id}, {email}, upper({email}), {email}, upper({email}), 's', 'c', {balance})
            """);
        return id;
    }

    private static async Task<Guid> InsertJobAsync(JobHubDbContext context, Guid userId, string status)
    {
        var id = Guid.NewGuid();
        await context.Database.ExecuteSqlAsync($"""
            INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, updated_at, task_id, completed_at)
            VALUES ({id}, {userId}, 'image-upscaler', {status}, 1, now(), now(),
                    CASE WHEN {status} = 'running' THEN {id.ToString()} END,
                    CASE WHEN {status} IN ('completed', 'failed', 'cancelled') THEN now() END)
            """);
        return id;
    }

    private static async Task InsertLedgerAsync(JobHubDbContext context, Guid userId, Guid? jobId, string kind, int amount, int balanceAfter) =>
        await context.Database.ExecuteSqlAsync($"""
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, created_at)
            VALUES ({userId}, {jobId}, {kind}, {amount}, {balanceAfter}, now())
            """);

    [Theory]
    [InlineData("queued", "queued")]
    [InlineData("queued", "running")]
    [InlineData("starting", "running")]
    [InlineData("running", "starting")]
    public async Task R4_SecondActiveJobForAUser_IsRejected(string first, string second)
    {
        await using var context = Context();
        var user = await InsertUserAsync(context);
        await InsertJobAsync(context, user, first);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertJobAsync(context, user, second));

        Assert.Equal("jobs_one_active_per_user", ex.ConstraintName);
    }

    [Fact]
    public async Task R4_ActiveJobBesideTerminalOnes_IsAllowed()
    {
        await using var context = Context();
        var user = await InsertUserAsync(context);
        await InsertJobAsync(context, user, "completed");
        await InsertJobAsync(context, user, "failed");
        await InsertJobAsync(context, user, "cancelled");

        await InsertJobAsync(context, user, "queued");

        Assert.Equal(4, await context.Set<Core.Jobs.Job>().CountAsync(j => j.UserId == user));
    }

    [Fact]
    public async Task Jobs_UnknownStatus_IsRejected()
    {
        await using var context = Context();
        var user = await InsertUserAsync(context);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertJobAsync(context, user, "processing"));

        Assert.Equal("jobs_status_valid", ex.ConstraintName);
    }

    [Fact]
    public async Task R6_SecondRefundForAJob_IsRejected()
    {
        await using var context = Context();
        var user = await InsertUserAsync(context);
        var job = await InsertJobAsync(context, user, "failed");
        await InsertLedgerAsync(context, user, job, "debit", -1, 0);
        await InsertLedgerAsync(context, user, job, "refund", 1, 1);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertLedgerAsync(context, user, job, "refund", 1, 2));

        Assert.Equal("credit_ledger_job_kind_key", ex.ConstraintName);
    }

    [Fact]
    public async Task R6_SecondDebitForAJob_IsRejected()
    {
        await using var context = Context();
        var user = await InsertUserAsync(context, balance: 10);
        var job = await InsertJobAsync(context, user, "queued");
        await InsertLedgerAsync(context, user, job, "debit", -1, 9);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertLedgerAsync(context, user, job, "debit", -1, 8));

        Assert.Equal("credit_ledger_job_kind_key", ex.ConstraintName);
    }

    [Fact]
    public async Task R6_NegativeBalance_IsRejected()
    {
        await using var context = Context();
        var user = await InsertUserAsync(context, balance: 1);

        var ex = await Assert.ThrowsAsync<PostgresException>(() =>
            context.Database.ExecuteSqlAsync($"UPDATE users SET credit_balance = credit_balance - 2 WHERE id = {user}"));
        var ledger = await Assert.ThrowsAsync<PostgresException>(() => InsertLedgerAsync(context, user, null, "adjustment", -2, -1));

        Assert.Equal("users_credit_balance_non_negative", ex.ConstraintName);
        Assert.Equal("credit_ledger_balance_non_negative", ledger.ConstraintName);
    }

    [Fact]
    public async Task R6_Ledger_IsAppendOnly()
    {
        await using var context = Context();
        var user = await InsertUserAsync(context);
        await InsertLedgerAsync(context, user, null, "grant", 5, 5);

        await Assert.ThrowsAsync<PostgresException>(() =>
            context.Database.ExecuteSqlAsync($"UPDATE credit_ledger SET amount = 50 WHERE user_id = {user}"));
        await Assert.ThrowsAsync<PostgresException>(() =>
            context.Database.ExecuteSqlAsync($"DELETE FROM credit_ledger WHERE user_id = {user}"));
    }

    [Fact]
    public async Task R6_RefundWithoutJob_IsRejected()
    {
        await using var context = Context();
        var user = await InsertUserAsync(context);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => InsertLedgerAsync(context, user, null, "refund", 1, 1));

        Assert.Equal("credit_ledger_job_kinds", ex.ConstraintName);
    }
}
