using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Accounts;

/// <summary>The demo user and admin of the default run (SPEC.md "Running"), created once when missing, confirmed (so with their grant).</summary>
public sealed class DemoAccounts(UserManager<JobHubUser> users, ILogger<DemoAccounts> logger)
{
    public const string UserEmail = "demo@jobhub.local";
    public const string UserPassword = "Demo-2026!";
    public const string AdminEmail = "admin@jobhub.local";
    public const string AdminPassword = "Admin-2026!";

    public async Task SeedAsync()
    {
        await EnsureAsync(UserEmail, UserPassword, admin: false);
        await EnsureAsync(AdminEmail, AdminPassword, admin: true);
    }

    private async Task EnsureAsync(string email, string password, bool admin)
    {
        if (await users.FindByEmailAsync(email) is not null)
        {
            return;
        }

        var user = new JobHubUser { Email = email, UserName = email, EmailConfirmed = true };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded && created.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.DuplicateEmail)))
        {
            return; // another instance seeded it at the same moment
        }

        if (!created.Succeeded)
        {
            throw new InvalidOperationException($"Could not create the demo account {email}: {string.Join(" ", created.Errors.Select(e => e.Description))}");
        }

        if (admin)
        {
            await users.AddToRoleAsync(user, Roles.Admin);
        }

        logger.LogInformation("Created the demo account {Email}", email);
    }
}
