using JobHub.Core.Accounts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Localization;

namespace JobHub.Web.Accounts;

public static class AccountEndpoints
{
    /// <summary>Sign-out (a form post, with anti-forgery) and the language switch.</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/account");
        group.MapPost("/logout", async Task<Results<RedirectHttpResult, BadRequest<string>>> (HttpContext context, IAntiforgery antiforgery,
            SignInManager<JobHubUser> signIn, UserManager<JobHubUser> users) =>
        {
            // No form fields are bound here, so the token is checked explicitly: a forged post cannot sign anyone out.
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return TypedResults.BadRequest("A valid anti-forgery token is required.");
            }

            // A new security stamp ends the session on the server too: a saved copy of the cookie, and pages still open
            // in other tabs, stop working at their next check (JobHub:SessionCheckInterval).
            if (await users.GetUserAsync(context.User) is { } user)
            {
                await users.UpdateSecurityStampAsync(user);
            }

            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/");
        }).DisableAntiforgery();
        group.MapGet("/culture", SetCulture);
        return endpoints;
    }

    private static Results<RedirectHttpResult, BadRequest<string>> SetCulture(string? culture, string? returnUrl, HttpContext context)
    {
        if (culture is null || !AccountServices.Cultures.Contains(culture))
        {
            return TypedResults.BadRequest($"Supported languages: {string.Join(", ", AccountServices.Cultures)}.");
        }

        context.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true });
        return TypedResults.LocalRedirect(SafeReturnUrl(returnUrl));
    }

    /// <summary>Only a local path: an open redirect to another site is refused.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\") ? returnUrl : "/";
}
