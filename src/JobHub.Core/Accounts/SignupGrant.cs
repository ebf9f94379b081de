using JobHub.Core.Credits;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Accounts;

/// <summary>
/// The sign-up grant: given once per account, when its address is confirmed (or at creation for an account made
/// confirmed, the demo ones), and once per address: a deleted account's address, or an alias of it, gets it no more.
/// Accounts made before confirmation existed were marked granted by their migration.
/// </summary>
public static class SignupGrant
{
    public const string Reason = "sign-up grant";

    /// <summary>
    /// Gives the grant if the account is confirmed and has not had it and its address (<paramref name="fingerprint"/>, see
    /// <see cref="GrantedAddresses"/>) never had it, inside the caller's transaction; returns the new balance, or null when
    /// nothing was given. The account's mark, the address's fingerprint and the ledger row commit or roll back together.
    /// </summary>
    public static async Task<int?> GiveOnceAsync(JobHubDbContext db, Guid userId, byte[] fingerprint, int credits, DateTime at)
    {
        // Raw SQL: one statement decides. A second confirmation waits on the account row's lock and finds the mark set; an
        // alias of the address confirmed at once waits on the fingerprint's key and inserts nothing. The account is marked
        // either way: its address's grant was decided.
        var given = await db.Database.SqlQuery<int>($"""
            WITH marked AS (
                UPDATE users SET signup_granted_at = {at}
                WHERE id = {userId} AND email_confirmed AND signup_granted_at IS NULL AND deleted_at IS NULL
                RETURNING id
            ), address AS (
                INSERT INTO granted_addresses (fingerprint, granted_at) SELECT {fingerprint}, {at} FROM marked
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT count(*)::int AS "Value" FROM address
            """).ToListAsync(); // not composed: a data-modifying WITH must stay at the top level
        if (given.Single() == 0 || credits <= 0)
        {
            return null;
        }

        return await CreditLedger.AddAsync(db, userId, LedgerKinds.Grant, credits, Reason, null, at);
    }

    /// <summary>
    /// Remembers a granted address before its account forgets it (a deletion), so signing up again with it gives nothing:
    /// accounts granted before the fingerprints existed have none yet.
    /// </summary>
    public static Task RememberAsync(JobHubDbContext db, Guid userId, byte[] fingerprint, DateTime at) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO granted_addresses (fingerprint, granted_at)
            SELECT {fingerprint}, coalesce(signup_granted_at, {at}) FROM users WHERE id = {userId} AND signup_granted_at IS NOT NULL
            ON CONFLICT DO NOTHING
            """);
}
