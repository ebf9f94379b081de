using JobHub.Core.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Accounts;

/// <summary>
/// Identity's EF Core user store, plus: a new user gets the <c>user</c> role, and a confirmed one the sign-up grant
/// (<see cref="SignupGrant"/>), in the same transaction. A taken e-mail (the unique index, whatever the capitals) is
/// Identity's "duplicate e-mail", not an exception.
/// </summary>
public sealed class JobHubUserStore(JobHubDbContext context, IOptions<JobHubOptions> options, GrantedAddresses addresses, TimeProvider clock,
    IdentityErrorDescriber? describer = null)
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

        // Only an account made confirmed (the demo ones) has its grant now; others at their confirmation.
        if (await GiveGrantAsync(user, now) is { } balance)
        {
            user.CreditBalance = balance;
        }

        await transaction.CommitAsync(cancellationToken);
        return IdentityResult.Success;
    }

    /// <summary>Identity's update (the confirmation is one), then the grant if the account is now confirmed, in one transaction.</summary>
    public override async Task<IdentityResult> UpdateAsync(JobHubUser user, CancellationToken cancellationToken = default)
    {
        if (!user.EmailConfirmed)
        {
            return await base.UpdateAsync(user, cancellationToken);
        }

        var own = Context.Database.CurrentTransaction is null ? await Context.Database.BeginTransactionAsync(cancellationToken) : null;
        await using (own)
        {
            var result = await base.UpdateAsync(user, cancellationToken);
            if (!result.Succeeded)
            {
                return result;
            }

            if (await GiveGrantAsync(user, clock.GetUtcNow().UtcDateTime) is { } balance)
            {
                user.CreditBalance = balance;
            }

            if (own is not null)
            {
                await own.CommitAsync(cancellationToken);
            }

            return result;
        }
    }

    private async Task<int?> GiveGrantAsync(JobHubUser user, DateTime at) =>
        await SignupGrant.GiveOnceAsync(Context, user.Id, await addresses.FingerprintAsync(user.Email ?? ""), options.Value.SignupCredits, at);
}
