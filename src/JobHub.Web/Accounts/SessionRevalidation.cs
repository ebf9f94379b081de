using System.Security.Claims;
using JobHub.Core;
using JobHub.Core.Accounts;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace JobHub.Web.Accounts;

/// <summary>
/// An open page (a circuit) keeps the user it started with; this checks, every <c>JobHub:SessionCheckInterval</c>,
/// that the account still exists and its security stamp is the one the page signed in with. After a sign-out in
/// another tab the stamp has changed, and the page falls back to "not signed in" (and is sent to the sign-in page).
/// </summary>
public sealed class SessionRevalidation(
    ILoggerFactory loggerFactory,
    IServiceScopeFactory scopes,
    IOptions<IdentityOptions> identity,
    IOptions<JobHubOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => options.Value.SessionCheckInterval < TimeSpan.FromSeconds(1)
        ? TimeSpan.FromSeconds(1) : options.Value.SessionCheckInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<JobHubUser>>();
        if (await users.GetUserAsync(state.User) is not { } user)
        {
            return false;
        }

        if (!users.SupportsUserSecurityStamp)
        {
            return true;
        }

        var stamp = state.User.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        return stamp == await users.GetSecurityStampAsync(user);
    }
}
