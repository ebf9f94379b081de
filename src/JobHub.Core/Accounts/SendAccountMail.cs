using System.Text;
using Hangfire;
using JobHub.Core.Mail;
using JobHub.Core.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Accounts;

/// <summary>
/// Sends a confirmation or password-reset mail as a Hangfire job. Its arguments are the account's id and the mail's
/// kind only: the token is made when the mail is sent, so no credential sits in Hangfire's tables, its dashboard or its
/// logs. A failure marks the account (<c>mail_failed_at</c>, the page tells the person) and is retried with back-off.
/// </summary>
public sealed class SendAccountMail(UserManager<JobHubUser> users, MailSender sender, IDbContextFactory<JobHubDbContext> contexts,
    IOptions<JobHubOptions> options, TimeProvider clock, ILogger<SendAccountMail> logger)
{
    /// <summary>
    /// At least once; a repeated run only sends another mail whose fresh token is as valid as the first's, and a
    /// confirmation for an address confirmed meanwhile is not sent.
    /// </summary>
    public static string Enqueue(IBackgroundJobClient jobs, Guid userId, AccountMailKind kind) =>
        jobs.Enqueue<SendAccountMail>(job => job.RunAsync(userId, kind, CancellationToken.None));

    [AutomaticRetry(Attempts = 4, DelaysInSeconds = [15, 60, 300, 1800])]
    public async Task RunAsync(Guid userId, AccountMailKind kind, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(userId.ToString());
        if (user?.Email is null || user.DeletedAt is not null || (kind == AccountMailKind.Confirmation && user.EmailConfirmed))
        {
            return; // no account (a request for an unknown address), deleted, or nothing left to confirm
        }

        var link = await LinkAsync(user, kind);
        try
        {
            await sender.SendAsync(AccountMails.Compose(kind, user.Culture, user.Email, link), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await MarkAsync(userId, clock.GetUtcNow().UtcDateTime);
            // The error's type and message only: never the mail, its link or its token.
            logger.LogWarning("The {Kind} mail for account {UserId} could not be sent ({Error}: {Message}); Hangfire retries it",
                kind, userId, ex.GetType().Name, ex.Message);
            throw new MailNotSentException($"the {kind} mail for account {userId} could not be sent ({ex.GetType().Name})");
        }

        await MarkAsync(userId, null);
    }

    /// <summary>The mail's link: a fresh token for a confirmation or a reset; the sign-in page for an account that exists.</summary>
    private async Task<string> LinkAsync(JobHubUser user, AccountMailKind kind)
    {
        var site = options.Value.PublicBaseUrl.TrimEnd('/');
        var (path, token) = kind switch
        {
            AccountMailKind.Confirmation => ("account/confirm", await users.GenerateEmailConfirmationTokenAsync(user)),
            AccountMailKind.PasswordReset => ("account/reset", await users.GeneratePasswordResetTokenAsync(user)),
            _ => ("account/login", null),
        };
        return token is null ? $"{site}/{path}" : $"{site}/{path}?user={user.Id}&token={WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token))}";
    }

    private async Task MarkAsync(Guid userId, DateTime? failedAt)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await db.Database.ExecuteSqlAsync($"UPDATE users SET mail_failed_at = {failedAt} WHERE id = {userId}");
    }

    /// <summary>The token a link carries, as Identity made it; null when the link's text is not one.</summary>
    public static string? DecodeToken(string? encoded)
    {
        try
        {
            return string.IsNullOrEmpty(encoded) ? null : Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(encoded));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
