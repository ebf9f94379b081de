using System.Security.Claims;
using System.Text.Json;
using JobHub.Core.Accounts;
using JobHub.Web.RateLimiting;
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
        group.MapGet("/data.json", ExportAsync).RequireAuthorization().RequireRateLimiting(RateLimitPolicies.DataExport);
        group.MapGet("/deleted", SignOutDeletedAsync);
        return endpoints;
    }

    /// <summary>
    /// The signed-in person's own data as a JSON download. No id is taken from the request: whoever asks gets their own
    /// data, so nobody can name another person's; anonymous callers get 401 (the cookie's OnRedirectToLogin).
    /// </summary>
    private static async Task<Results<JsonHttpResult<AccountExport>, UnauthorizedHttpResult>> ExportAsync(HttpContext context,
        ExportAccountData export, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out var userId)
            || await export.HandleAsync(userId, cancellationToken) is not { } data)
        {
            return TypedResults.Unauthorized();
        }

        context.Response.Headers.ContentDisposition = $"attachment; filename=\"jobhub-data-{data.ExportedAt:yyyyMMdd}.json\"";
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(data, JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>
    /// Where the account page goes once the account is deleted: a circuit cannot clear the cookie, this request can. It signs
    /// out only a session whose account is deleted (the stamp would refuse that cookie anyway), so a link here harms nobody.
    /// </summary>
    private static async Task<RedirectHttpResult> SignOutDeletedAsync(HttpContext context, SignInManager<JobHubUser> signIn, UserManager<JobHubUser> users)
    {
        if (context.User.Identity?.IsAuthenticated == true && await users.GetUserAsync(context.User) is not { DeletedAt: null })
        {
            await signIn.SignOutAsync();
        }

        return TypedResults.LocalRedirect("/account/login?deleted=1");
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
