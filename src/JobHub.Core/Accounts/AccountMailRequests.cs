using Hangfire;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Accounts;

/// <summary>
/// An account's confirmation state as its pages show it. <paramref name="WelcomeCreditsUsed"/>: the account has no grant
/// and never will, its address (or an alias of it) had one before, in another account.
/// </summary>
public sealed record AccountMailStatus(string Email, bool EmailConfirmed, DateTime? MailFailedAt, int Balance, bool WelcomeCreditsUsed);

/// <summary>The requests for account mails (confirmation, password reset) and what the pages show about them.</summary>
public sealed class AccountMailRequests(IDbContextFactory<JobHubDbContext> contexts, IBackgroundJobClient jobs, GrantedAddresses addresses)
{
    public async Task<AccountMailStatus?> StatusAsync(Guid userId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var account = await db.Users.Where(u => u.Id == userId)
            .Select(u => new
            {
                u.Email, u.EmailConfirmed, u.MailFailedAt, u.CreditBalance,
                Given = db.Set<Credits.CreditLedgerRow>().Any(l => l.UserId == userId && l.Reason == SignupGrant.Reason),
            }).FirstOrDefaultAsync();
        if (account is null)
        {
            return null;
        }

        // Only an account without its grant looks for its address's fingerprint: most pages are shown to granted ones.
        var used = !account.Given && await UsedAsync(db, account.Email ?? "");
        return new AccountMailStatus(account.Email ?? "", account.EmailConfirmed, account.MailFailedAt, account.CreditBalance, used);
    }

    private async Task<bool> UsedAsync(JobHubDbContext db, string email)
    {
        var fingerprint = await addresses.FingerprintAsync(email);
        return await db.Set<GrantedAddress>().AnyAsync(a => a.Fingerprint == fingerprint);
    }

    /// <summary>A new confirmation mail; the last failure is forgotten until this one fails too.</summary>
    public async Task RequestConfirmationAsync(Guid userId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.MailFailedAt, (DateTime?)null));
        SendAccountMail.Enqueue(jobs, userId, AccountMailKind.Confirmation);
    }

    /// <summary>
    /// A reset mail when an account has this address, nothing otherwise; the same work either way (one look-up, one job
    /// queued, empty when there is no account), so neither the answer nor its time tells who has an account.
    /// </summary>
    public async Task RequestPasswordResetAsync(string email) =>
        SendAccountMail.Enqueue(jobs, await AccountOfAsync(email) ?? Guid.Empty, AccountMailKind.PasswordReset);

    /// <summary>A sign-up with a taken address: its owner is told by mail, and the page says what it says to a new account.</summary>
    public async Task NotifyAlreadyRegisteredAsync(string email) =>
        SendAccountMail.Enqueue(jobs, await AccountOfAsync(email) ?? Guid.Empty, AccountMailKind.AlreadyRegistered);

    private async Task<Guid?> AccountOfAsync(string email)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var normalized = email.Trim().Normalize().ToUpperInvariant(); // Identity's own normalizer
        return await db.Users.Where(u => u.NormalizedEmail == normalized && u.DeletedAt == null).Select(u => (Guid?)u.Id).FirstOrDefaultAsync();
    }
}
