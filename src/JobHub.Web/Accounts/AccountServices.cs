using System.Globalization;
using JobHub.Core.Accounts;
using JobHub.Core.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Localization;

namespace JobHub.Web.Accounts;

public static class AccountServices
{
    public static readonly string[] Cultures = ["pt-BR", "en"];

    /// <summary>ASP.NET Core Identity (UserManager, SignInManager) on its EF Core stores, with cookie sign-in and lockout.</summary>
    public static IServiceCollection AddJobHubAccounts(this IServiceCollection services)
    {
        services.AddCascadingAuthenticationState();
        services.AddAuthentication(options =>
        {
            options.DefaultScheme = IdentityConstants.ApplicationScheme;
            options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
        }).AddIdentityCookies(cookies => cookies.ApplicationCookie?.Configure(options =>
        {
            options.LoginPath = "/account/login";
            options.AccessDeniedPath = "/account/denied";
            options.Cookie.Name = "jobhub.auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.SlidingExpiration = true;
            options.ExpireTimeSpan = TimeSpan.FromDays(14);
            options.Events.OnRedirectToLogin = context =>
            {
                // The API, the uploads and the data download answer 401 to a caller that is not signed in; pages send the browser to the sign-in page.
                if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments(Jobs.UploadEndpoints.Path)
                    || context.Request.Path == "/account/data.json")
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                }
                else
                {
                    context.Response.Redirect(context.RedirectUri);
                }

                return Task.CompletedTask;
            };
            options.Events.OnRedirectToAccessDenied = context =>
            {
                // Signed in but not allowed (a non-admin on /admin): 403, rendered by the status page, never a redirect.
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        }));
        services.AddAuthorizationBuilder().AddPolicy(Roles.Admin, policy => policy.RequireRole(Roles.Admin));
        services.AddIdentityCore<JobHubUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 8;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
                options.Lockout.AllowedForNewUsers = true;
                // An unconfirmed account signs in (and can ask for its mail again); only the grant waits for the confirmation.
                options.SignIn.RequireConfirmedAccount = false;
                options.SignIn.RequireConfirmedEmail = false;
            })
            .AddRoles<JobHubRole>()
            .AddEntityFrameworkStores<JobHubDbContext>()
            .AddUserStore<JobHubUserStore>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        services.AddScoped<DemoAccounts>();
        services.AddScoped<SendAccountMail>(); // needs Identity's UserManager for its tokens

        // Sign-out changes the security stamp; cookies carrying the old one stop working at their next check, and open
        // circuits are checked on the same interval (SessionRevalidation).
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IOptions<JobHub.Core.JobHubOptions>>((stamp, jobHub) =>
            stamp.ValidationInterval = jobHub.Value.SessionCheckInterval);
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, SessionRevalidation>();
        services.AddScoped<DeletionInCircuit>();

        // One key ring in the database for every instance and restart (cookies and anti-forgery tokens stay valid).
        services.AddDataProtection().SetApplicationName(DataProtectionKeys.ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new DataProtectionKeys(
                provider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<JobHub.Core.Persistence.JobHubDbContext>>())));

        services.AddLocalization(options => options.ResourcesPath = "Resources");
        services.Configure<RequestLocalizationOptions>(options =>
        {
            var cultures = Cultures.Select(c => new CultureInfo(c)).ToList();
            options.DefaultRequestCulture = new RequestCulture("pt-BR");
            options.SupportedCultures = cultures;
            options.SupportedUICultures = cultures;
            // pt-BR unless the person chose English (the language switch sets the cookie). Not the browser's
            // Accept-Language: the page and its circuit must agree, and SPEC.md makes Portuguese the default.
            options.RequestCultureProviders = [new CookieRequestCultureProvider()];
        });
        return services;
    }
}
