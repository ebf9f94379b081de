using Dapper;
using Npgsql;

namespace JobHub.Core.Credits;

public static class LedgerKinds
{
    public const string Grant = "grant";
    public const string Debit = "debit";
    public const string Refund = "refund";
    public const string Adjustment = "adjustment";
}

/// <summary>
/// R6: credits live in an append-only ledger; <c>users.credit_balance</c> is its running sum, changed only
/// here, in the same transaction as the ledger row, with the user's row locked first. A job has one debit
/// and at most one refund (unique key), and no balance goes below zero (check constraints).
/// </summary>
public static class CreditLedger
{
    /// <summary>
    /// Debits the job's cost. Returns false, changing nothing, when the balance is too low. One statement: lock the
    /// balance, append the debit when it covers the cost, update the balance.
    /// </summary>
    public static async Task<bool> TryDebitAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, Guid jobId, int cost, DateTime at)
    {
        var debited = await connection.ExecuteScalarAsync<int?>("""
            WITH balance AS (SELECT credit_balance FROM users WHERE id = @userId FOR UPDATE),
                 debit AS (
                     INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, actor, created_at)
                     SELECT @userId, @jobId, 'debit', -@cost, balance.credit_balance - @cost, NULL, NULL, @at FROM balance
                     WHERE balance.credit_balance >= @cost
                     RETURNING balance_after)
            UPDATE users SET credit_balance = debit.balance_after FROM debit WHERE users.id = @userId
            RETURNING debit.balance_after
            """, new { userId, jobId, cost, at }, transaction);
        return debited is not null;
    }

    /// <summary>Refunds the job's debit once; a second call changes nothing and returns false. One statement: lock the balance, append, update.</summary>
    public static async Task<bool> RefundOnceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, Guid jobId, string reason, DateTime at)
    {
        var refunded = await connection.ExecuteScalarAsync<int?>("""
            WITH balance AS (SELECT credit_balance FROM users WHERE id = @userId FOR UPDATE),
                 debit AS (SELECT -amount AS amount FROM credit_ledger WHERE job_id = @jobId AND kind = 'debit'),
                 refund AS (
                     INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
                     SELECT @userId, @jobId, 'refund', debit.amount, balance.credit_balance + debit.amount, @reason, @at FROM balance, debit
                     ON CONFLICT (job_id, kind) WHERE job_id IS NOT NULL DO NOTHING
                     RETURNING amount, balance_after)
            UPDATE users SET credit_balance = refund.balance_after FROM refund WHERE users.id = @userId
            RETURNING refund.amount
            """, new { userId, jobId, reason, at }, transaction);
        return refunded is not null;
    }

    /// <summary>A grant (sign-up) or an admin adjustment; an adjustment below zero balance is refused.</summary>
    public static async Task<int?> AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, string kind, int amount,
        string reason, string? actor, DateTime at)
    {
        if (kind is not (LedgerKinds.Grant or LedgerKinds.Adjustment))
        {
            throw new ArgumentException("only grants and adjustments are added directly", nameof(kind));
        }

        var balance = await LockBalanceAsync(connection, transaction, userId);
        if (balance + amount < 0)
        {
            return null;
        }

        await AppendAsync(connection, transaction, userId, null, kind, amount, balance + amount, reason, actor, at);
        return balance + amount;
    }

    public static async Task<int> GetBalanceAsync(NpgsqlDataSource dataSource, Guid userId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT credit_balance FROM users WHERE id = @userId", new { userId });
    }

    private static async Task<int> LockBalanceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId) =>
        await connection.ExecuteScalarAsync<int?>("SELECT credit_balance FROM users WHERE id = @userId FOR UPDATE", new { userId }, transaction)
        ?? throw new InvalidOperationException($"user {userId} does not exist");

    private static async Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, Guid? jobId, string kind,
        int amount, int balanceAfter, string? reason, string? actor, DateTime at)
    {
        await connection.ExecuteAsync("""
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, actor, created_at)
            VALUES (@userId, @jobId, @kind, @amount, @balanceAfter, @reason, @actor, @at);
            UPDATE users SET credit_balance = @balanceAfter WHERE id = @userId;
            """, new { userId, jobId, kind, amount, balanceAfter, reason, actor, at }, transaction);
    }
}
