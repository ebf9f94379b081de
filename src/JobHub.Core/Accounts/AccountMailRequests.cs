using Hangfire;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Accounts;

/// <summary>An account's confirmation state as its pages show it.</summary>
public sealed record AccountMailStatus(string Email, bool EmailConfirmed, DateTime? MailFailedAt, int Balance);

/// <summary>The requests for account mails (confirmation, password reset) and what the pages show about them.</summary>
public sealed class AccountMailRequests(IDbContextFactory<JobHubDbContext> contexts, IBackgroundJobClient jobs)
{
    public async Task<AccountMailStatus?> StatusAsync(Guid userId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        return await db.Users.Where(u => u.Id == userId)
            .Select(u => new AccountMailStatus(u.Email!, u.EmailConfirmed, u.MailFailedAt, u.CreditBalance)).FirstOrDefaultAsync();
    }

    /// <summary>A new confirmation mail; the last failure is forgotten until this one fails too.</summary>
    public async Task RequestConfirmationAsync(Guid userId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.MailFailedAt, (DateTime?)null));
        SendAccountMail.Enqueue(jobs, userId, AccountMailKind.Confirmation);
    }

    /// <summary>A reset mail when an account has this address; nothing otherwise, and the caller says the same either way.</summary>
    public async Task RequestPasswordResetAsync(string email)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var normalized = email.Trim().Normalize().ToUpperInvariant(); // Identity's own normalizer
        var userId = await db.Users.Where(u => u.NormalizedEmail == normalized && u.DeletedAt == null).Select(u => (Guid?)u.Id).FirstOrDefaultAsync();
        if (userId is { } id)
        {
            SendAccountMail.Enqueue(jobs, id, AccountMailKind.PasswordReset);
        }
    }
}
