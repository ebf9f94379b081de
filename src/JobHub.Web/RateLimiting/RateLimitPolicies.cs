using System.Security.Claims;
using System.Threading.RateLimiting;
using JobHub.Core.Limits;
using Microsoft.AspNetCore.RateLimiting;

namespace JobHub.Web.RateLimiting;

/// <summary>
/// The named policies of ASP.NET Core's rate limiting middleware, each over the shared <see cref="RateLimits"/> so that
/// a page's circuit and the API count against one limit. The client address is <c>RemoteIpAddress</c>, which the
/// forwarded-headers middleware (before this one) sets from known proxies only.
/// </summary>
public static class RateLimitPolicies
{
    public const string Webhook = "webhook";
    public const string Api = "api";
    public const string Submit = "api-submit";
    public const string Upload = "upload";
    public const string Check = "api-check";
    public const string Heartbeat = "api-heartbeat";
    public const string PasswordReset = "password-reset";
    public const string DataExport = "data-export";

    /// <summary>The refusal's code in the API's problem details.</summary>
    public const string RateLimitedCode = "RATE_LIMITED";

    public static IServiceCollection AddJobHubRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = OnRejectedAsync;
            Add(options, Webhook, context => [RateLimitKey.Address(nameof(RateLimitOptions.Webhook), context.Connection.RemoteIpAddress)]);
            Add(options, PasswordReset, context => [RateLimitKey.Address(nameof(RateLimitOptions.PasswordReset), context.Connection.RemoteIpAddress)]);
            Add(options, Api, context => [ForUser(context, nameof(RateLimitOptions.Api))]);
            Add(options, Upload, context => [ForUser(context, nameof(RateLimitOptions.Upload))]);
            Add(options, DataExport, context => [ForUser(context, nameof(RateLimitOptions.DataExport))]);
            // An endpoint has one policy: the API's own limit is counted again in each of these.
            Add(options, Submit, context => [ForUser(context, nameof(RateLimitOptions.Api)), ForUser(context, nameof(RateLimitOptions.Submit))]);
            Add(options, Check, context => [ForUser(context, nameof(RateLimitOptions.Api)), ForUser(context, nameof(RateLimitOptions.Check))]);
            Add(options, Heartbeat, context => [ForUser(context, nameof(RateLimitOptions.Api)), ForUser(context, nameof(RateLimitOptions.Heartbeat))]);
        });
        return services;
    }

    /// <summary>Signed in: the user (many people share an address behind a NAT or the load driver); otherwise the address.</summary>
    private static RateLimitKey ForUser(HttpContext context, string rule) =>
        Guid.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out var userId)
            ? RateLimitKey.User(rule, userId)
            : RateLimitKey.Address(rule, context.Connection.RemoteIpAddress);

    private static void Add(RateLimiterOptions options, string policy, Func<HttpContext, RateLimitKey[]> keys) =>
        options.AddPolicy(policy, context =>
        {
            var chosen = keys(context);
            return RateLimitPartition.Get(string.Join('|', chosen), _ => context.RequestServices.GetRequiredService<RateLimits>().LimiterFor(chosen));
        });

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var seconds = new RateLimitDecision(false, rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1))
            .RetryAfterSeconds;
        rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ApiProblems.WriteAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests, RateLimitedCode, $"Too many requests. Try again in {seconds} s.");
    }

    /// <summary>Answers a page's own refusal (a sign-in or sign-up form) as the middleware answers the API's: 429 with Retry-After.</summary>
    public static void Refuse(HttpContext context, RateLimitDecision decision)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
