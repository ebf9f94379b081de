using JobHub.Core.Credits;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Accounts;

/// <summary>
/// The sign-up grant: given once per account, when its address is confirmed (or at creation for an account made
/// confirmed, the demo ones). Accounts made before confirmation existed were marked granted by their migration.
/// </summary>
public static class SignupGrant
{
    public const string Reason = "sign-up grant";

    /// <summary>
    /// Gives the grant if the account is confirmed and has not had it, inside the caller's transaction; returns the new
    /// balance, or null when nothing was given. The mark and the ledger row commit or roll back together.
    /// </summary>
    public static async Task<int?> GiveOnceAsync(JobHubDbContext db, Guid userId, int credits, DateTime at)
    {
        // Raw SQL: one conditional statement decides; a second confirmation waits on the row's lock, then finds the mark set.
        var marked = await db.Database.ExecuteSqlAsync($"""
            UPDATE users SET signup_granted_at = {at}
            WHERE id = {userId} AND email_confirmed AND signup_granted_at IS NULL AND deleted_at IS NULL
            """);
        if (marked == 0 || credits <= 0)
        {
            return null;
        }

        return await CreditLedger.AddAsync(db, userId, LedgerKinds.Grant, credits, Reason, null, at);
    }
}
