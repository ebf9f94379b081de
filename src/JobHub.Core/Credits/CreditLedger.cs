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
/// R6: credits live in an append-only ledger; <c>users.credit_balance</c> is its running sum, written with each ledger row
/// under the user's row lock (here; the debit in <see cref="Jobs.SubmitJob"/>, the refund in <see cref="Jobs.JobTermination"/>).
/// A job has one debit and at most one refund (unique key), and no balance goes below zero (check constraints).
/// </summary>
public static class CreditLedger
{
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
