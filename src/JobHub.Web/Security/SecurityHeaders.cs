using System.ComponentModel.DataAnnotations;
using System.Net;
using JobHub.Core;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace JobHub.Web.Security;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed (section <c>JobHub:Proxy</c>).
/// None by default: then no forwarded header is trusted, and the client's address is the connection's.
/// </summary>
public sealed class ProxyOptions : IValidatableObject
{
    public const string Section = "JobHub:Proxy";

    /// <summary>Addresses of the proxies in front of JobHub (<c>10.0.0.5</c>, <c>::1</c>).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies are in (<c>10.0.0.0/24</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            yield return new ValidationResult($"JobHub:Proxy:KnownProxies: '{proxy}' is not an IP address", [nameof(KnownProxies)]);
        }

        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
        {
            yield return new ValidationResult($"JobHub:Proxy:KnownNetworks: '{network}' is not a network (address/prefix)", [nameof(KnownNetworks)]);
        }
    }
}

/// <summary>
/// Headers and cookies for a site on the public internet, behind a TLS proxy: forwarded headers from the configured proxies
/// only; HSTS and <c>Secure</c> cookies when <see cref="JobHubOptions.PublicBaseUrl"/> is https; a Content-Security-Policy
/// that Blazor Server and MudBlazor run under (no inline or evaluated script), framing refused, no MIME sniffing.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The policy of a job's stored file: a sandbox (no script, no origin), media only.</summary>
    public const string FilePolicy = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'";

    public static IServiceCollection AddJobHubSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxy) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // ASP.NET Core trusts loopback by default; only what is configured is trusted here.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var address in proxy.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(address));
            }

            foreach (var network in proxy.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });

        var https = IsHttps(configuration);
        var secure = https ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        services.Configure<CookiePolicyOptions>(cookies => cookies.Secure = secure); // every cookie JobHub appends (the language's too)
        services.Configure<CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme, cookie => cookie.Cookie.SecurePolicy = secure);
        services.Configure<AntiforgeryOptions>(antiforgery => antiforgery.Cookie.SecurePolicy = secure);
        services.AddHsts(hsts =>
        {
            hsts.MaxAge = TimeSpan.FromDays(365);
            hsts.IncludeSubDomains = false; // the operator's other hosts are not JobHub's to decide
        });
        services.AddSingleton<ContentSecurityPolicy>();
        return services;
    }

    /// <summary>The first middleware: the client's real address and scheme are known before anything reads them.</summary>
    public static WebApplication UseJobHubSecurityHeaders(this WebApplication app)
    {
        // With no proxy configured, none is asked for: ASP.NET Core would believe every sender when both lists are empty.
        var proxy = app.Services.GetRequiredService<IOptions<ProxyOptions>>().Value;
        if (proxy.KnownProxies.Count > 0 || proxy.KnownNetworks.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        if (IsHttps(app.Configuration))
        {
            app.UseHsts();
        }

        var policy = app.Services.GetRequiredService<ContentSecurityPolicy>().Value;
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                // Only the job files' sandbox replaces the pages' policy (Blazor's own frame-ancestors header does not).
                if (headers.ContentSecurityPolicy != FilePolicy)
                {
                    headers.ContentSecurityPolicy = policy;
                }

                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(context);
        });
        app.UseCookiePolicy();
        return app;
    }

    private static bool IsHttps(IConfiguration configuration) =>
        Uri.TryCreate(configuration[$"{JobHubOptions.Section}:{nameof(JobHubOptions.PublicBaseUrl)}"] ?? new JobHubOptions().PublicBaseUrl,
            UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps;
}

/// <summary>
/// The pages' Content-Security-Policy. Scripts only from the site's files (Blazor Server needs no eval); styles inline too,
/// since MudBlazor writes style attributes; images and videos also from the hosts RunningHub's results may be shown from
/// (<see cref="OutputUrlPolicy.ShownSources"/>); the circuit's WebSocket is <c>'self'</c>.
/// </summary>
public sealed class ContentSecurityPolicy(OutputUrlPolicy outputs)
{
    public string Value { get; } = string.Join("; ",
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        $"img-src 'self' data: blob: {string.Join(' ', outputs.ShownSources)}".TrimEnd(),
        $"media-src 'self' blob: {string.Join(' ', outputs.ShownSources)}".TrimEnd(),
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'");
}
