using JobHub.Core.Credits;
using JobHub.Core.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Accounts;

/// <summary>
/// Identity's EF Core user store, with JobHub's one addition: creating a user also gives it the <c>user</c> role and
/// the sign-up credit grant, in the same transaction, so no account ever exists without its role and credits. A
/// taken e-mail (the unique index, whatever the capitals) is Identity's "duplicate e-mail", not an exception.
/// </summary>
public sealed class JobHubUserStore(JobHubDbContext context, IOptions<JobHubOptions> options, TimeProvider clock, IdentityErrorDescriber? describer = null)
    : UserStore<JobHubUser, JobHubRole, JobHubDbContext, Guid>(context, describer)
{
    public override async Task<IdentityResult> CreateAsync(JobHubUser user, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = clock.GetUtcNow().UtcDateTime;
        user.CreatedAt = now;
        await using var transaction = await Context.Database.BeginTransactionAsync(cancellationToken);
        Context.Users.Add(user);
        Context.UserRoles.Add(new IdentityUserRole<Guid> { UserId = user.Id, RoleId = JobHubRole.UserId });
        try
        {
            await Context.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            Context.ChangeTracker.Clear();
            return IdentityResult.Failed(ErrorDescriber.DuplicateEmail(user.Email ?? ""));
        }

        if (options.Value.SignupCredits > 0)
        {
            // The ledger's own statements (balance and entry together), in this transaction.
            user.CreditBalance = (await CreditLedger.AddAsync(Context, user.Id, LedgerKinds.Grant, options.Value.SignupCredits, "sign-up grant", null, now))!.Value;
        }

        await transaction.CommitAsync(cancellationToken);
        return IdentityResult.Success;
    }
}
