using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

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
    /// The lock on the balance, a step of a caller's statement (<c>balance</c>: no row when there is no such user, or the
    /// account was deleted), for <see cref="DebitSteps"/> and for whatever the caller decides by the balance before them.
    /// A deletion marks the row first, so an admission waiting on its lock re-reads it deleted and creates nothing.
    /// </summary>
    internal static FormattableString BalanceStep(Guid userId) =>
        $"balance AS (SELECT credit_balance FROM users WHERE id = {userId} AND deleted_at IS NULL FOR UPDATE)";

    /// <summary>
    /// The debit as steps of a caller's statement, after <see cref="BalanceStep"/> and a step <c>job</c> whose row (when it
    /// has one) is the job paid for: append the debit when the balance covers the cost, update the balance. Its last step,
    /// <c>paid</c>, has a row only when the debit was made.
    /// </summary>
    internal static FormattableString DebitSteps(Guid userId, Guid jobId, int cost, DateTime at) => $"""
        debit AS (
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, actor, created_at)
            SELECT {userId}, {jobId}, 'debit', -{cost}, balance.credit_balance - {cost}, NULL, NULL, {at} FROM balance, job
            WHERE balance.credit_balance >= {cost}
            RETURNING balance_after),
        paid AS (UPDATE users SET credit_balance = debit.balance_after FROM debit WHERE users.id = {userId} RETURNING users.id)
        """;

    /// <summary>
    /// The refund of a job's debit as steps of a caller's statement, after a step <c>changed</c> whose row (when it has one)
    /// names the user (<c>user_id</c>): lock the balance, append the refund (the ledger's unique (job, kind) key refuses a
    /// second one, so a job is refunded once), update the balance. Its last step, <c>refunded</c>, has a row only when the
    /// refund was made.
    /// </summary>
    internal static FormattableString RefundSteps(Guid jobId, string reason, DateTime at) => $"""
        balance AS (SELECT id, credit_balance FROM users WHERE id = (SELECT user_id FROM changed) FOR UPDATE),
        debit AS (SELECT -amount AS amount FROM credit_ledger WHERE job_id = {jobId} AND kind = 'debit'),
        refund AS (
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
            SELECT balance.id, {jobId}, 'refund', debit.amount, balance.credit_balance + debit.amount, {reason}, {at} FROM balance, debit
            ON CONFLICT (job_id, kind) WHERE job_id IS NOT NULL DO NOTHING
            RETURNING user_id, balance_after),
        refunded AS (UPDATE users SET credit_balance = refund.balance_after FROM refund WHERE users.id = refund.user_id RETURNING users.id)
        """;

    /// <summary>A grant (sign-up) or an admin adjustment; an adjustment below zero balance is refused.</summary>
    public static async Task<int?> AddAsync(JobHubDbContext db, Guid userId, string kind, int amount, string reason, string? actor, DateTime at)
    {
        if (kind is not (LedgerKinds.Grant or LedgerKinds.Adjustment))
        {
            throw new ArgumentException("only grants and adjustments are added directly", nameof(kind));
        }

        // Raw SQL: EF has no row lock; the balance is read FOR UPDATE so that no other change lands between read and write.
        var locked = await db.Database.SqlQuery<int>($"SELECT credit_balance FROM users WHERE id = {userId} FOR UPDATE").ToListAsync();
        if (locked.Count == 0)
        {
            throw new InvalidOperationException($"user {userId} does not exist");
        }

        var balance = locked[0] + amount;
        if (balance < 0)
        {
            return null;
        }

        // Raw SQL: the ledger row and the balance it produces in one round trip, under the lock taken above.
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, actor, created_at)
            VALUES ({userId}, NULL, {kind}, {amount}, {balance}, {reason}, {actor}, {at});
            UPDATE users SET credit_balance = {balance} WHERE id = {userId};
            """);
        return balance;
    }

    public static async Task<int> GetBalanceAsync(IDbContextFactory<JobHubDbContext> contexts, Guid userId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        return await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.CreditBalance).SingleAsync();
    }
}
