using JobHub.Core;
using Microsoft.AspNetCore.Authentication;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Web.Accounts;
using JobHub.Web.Components;
using JobHub.Web.Drain;
using JobHub.Web.Files;
using JobHub.Web.Jobs;
using JobHub.Web.RateLimiting;
using JobHub.Web.Realtime;
using JobHub.Web.Security;
using JobHub.Web.Telemetry;
using JobHub.Web.Webhooks;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MudBlazor.Services;

namespace JobHub.Web;

/// <summary>Builds the JobHub web application; used by Program and by tests that need real Kestrel.</summary>
public static class JobHubApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(JobHubApp).Assembly.GetName().Name,
        });
        builder.Configuration.AddRepositoryAppSettings();
        configure?.Invoke(builder);
        ConfigureServices(builder);
        var app = builder.Build();
        ConfigurePipeline(app);
        return app;
    }

    public static void ConfigureServices(WebApplicationBuilder builder)
    {
        builder.Services.AddJobHubCore(builder.Configuration);
        builder.AddJobHubTelemetry();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddTransient<MudBlazor.MudLocalizer, JobHub.Web.Components.Layout.MudTexts>(); // MudBlazor's own texts in the page's language
        builder.Services.AddSingleton<JobHub.Web.Components.Layout.ThemeStyles>();
        JobHub.Web.Components.Layout.BrowserTimeZone.AddBrowserTimeZone(builder.Services);
        builder.Services.AddJobHubAccounts();
        builder.Services.AddJobHubSecurity(builder.Configuration);
        builder.Services.AddJobHubRateLimits();
        builder.Services.AddScoped<JobRunnerFactory>();
        builder.Services.AddSingleton<JobNotifications>();
        builder.Services.AddSingleton<QueuePositionFeed>();
        builder.Services.AddSingleton<JobChangeListener>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<JobChangeListener>());
        builder.Services.AddInstanceDrain();
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("database", tags: ["ready"]).AddCheck<DrainCheck>("draining", tags: ["ready"]);
    }

    public static void ConfigurePipeline(WebApplication app)
    {
        app.UseJobHubMetricsPort(); // first: the metrics port serves the scrape alone
        app.UseJobHubSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }

        app.UseDatabaseOutageHandling();

        // Pages for error statuses, for page requests only (re-executing a POST would run the status page's form handling).
        app.UseWhen(context => HttpMethods.IsGet(context.Request.Method) && !context.Request.Path.StartsWithSegments("/api"), pages => pages.UseStatusCodePagesWithReExecute("/status/{0}"));
        app.UseInstanceDrain(); // after the status pages, so that a refused page gets the error page in its language
        app.UseRouting(); // after the status pages, so that a re-executed request is routed to the status page
        app.UseRequestLocalization();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter(); // after routing (endpoint policies) and authentication (per-user partitions); after UseForwardedHeaders
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/admin"), admin => admin.Use(async (context, next) =>
        {
            // Every request under /admin, whatever its method (a forged form post included), needs the admin role.
            if (context.User.IsInRole(JobHub.Core.Accounts.Roles.Admin))
            {
                await next(context);
            }
            else if (context.User.Identity?.IsAuthenticated == true)
            {
                await context.ForbidAsync();
            }
            else
            {
                await context.ChallengeAsync();
            }
        }));
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapWebhookEndpoints();
        app.MapAccountEndpoints();
        app.MapFileEndpoints();
        app.MapJobApiEndpoints();
        app.MapUploadEndpoints();
        app.MapJobHubHangfireDashboard();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
    }

    /// <summary>
    /// Work that must finish before the first request: the configuration is validated first (an invalid one
    /// stops start-up before the database is touched), then the schema (an old database that cannot be adopted stops
    /// start-up here, with the reason), then the RunningHub accounts.
    /// </summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RunningHubOptions>>().Value.MissingRunningHub() is { } missing)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(RunningHubOptions.Section, typeof(RunningHubOptions), [missing]);
        }
        await app.Services.GetRequiredService<DatabaseMigrations>().MigrateAsync(cancellationToken);
        _ = app.Services.GetRequiredService<Hangfire.JobStorage>(); // Hangfire's schema, made or upgraded by Hangfire.PostgreSql under its own lock
        var accounts = app.Services.GetRequiredService<RunningHubAccounts>();
        await accounts.SyncAsync(app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<JobHubDbContext>>(), cancellationToken);
        if (!accounts.UsesSimulator)
        {
            // A node mapping not yet checked against the app's API page would fail every run with RunningHub's 803.
            var unconfirmed = app.Services.GetRequiredService<JobHub.Core.Tools.ToolCatalog>().All
                .SelectMany(tool => tool.Webapps.SelectMany(route => route.Nodes.Where(n => n.Value.Unconfirmed)
                    .Select(n => $"{tool.Key} app {route.WebappId} node {n.Value.NodeId} ({n.Key})")));
            foreach (var node in unconfirmed)
            {
                app.Logger.LogWarning("Unconfirmed RunningHub node mapping in use with a real key: {Node}", node);
            }
        }
        if (!app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<JobHub.Core.Mail.MailOptions>>().Value.Configured)
        {
            app.Logger.LogWarning("JobHub:Mail:Host is not set: no confirmation or password-reset mail can be sent, so new accounts get no credits");
        }

        if (app.Configuration.GetValue<bool>("JobHub:SeedDemoUsers"))
        {
            // Demo accounts have published passwords: a deployment with a real key never gets them.
            if (accounts.UsesSimulator)
            {
                await using var scope = app.Services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<JobHub.Core.Accounts.DemoAccounts>().SeedAsync();
            }
            else
            {
                app.Logger.LogWarning("JobHub:SeedDemoUsers is ignored: a RunningHub key is configured, so no demo accounts are created");
            }
        }
    }
}
