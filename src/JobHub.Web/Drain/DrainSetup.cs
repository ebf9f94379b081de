using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace JobHub.Web.Drain;

public static class DrainSetup
{
    public const string Code = "INSTANCE_STOPPING";

    public static IServiceCollection AddInstanceDrain(this IServiceCollection services)
    {
        services.AddOptions<DrainOptions>().BindConfiguration(DrainOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<OpenPages>();
        services.AddSingleton<InstanceDrain>();
        services.AddScoped<CircuitHandler, OpenPagesCircuitHandler>();
        services.AddSingleton<IHostLifetime, DrainingLifetime>();
        services.AddOptions<HostOptions>().Configure<IOptions<DrainOptions>>((host, drain) => host.ShutdownTimeout = drain.Value.StopTimeout);
        return services;
    }

    /// <summary>
    /// While the instance drains, a new request is answered 503 with <c>Retry-After</c> (the proxy tries another instance):
    /// the health checks and RunningHub's webhooks still pass (the engine runs until the host stops), and so does the
    /// error page's own render. A page gets the error page; the API a code.
    /// </summary>
    public static IApplicationBuilder UseInstanceDrain(this IApplicationBuilder app)
    {
        var drain = app.ApplicationServices.GetRequiredService<InstanceDrain>();
        return app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (!drain.IsDraining || path.StartsWithSegments("/health") || path.StartsWithSegments("/api/webhooks")
                || context.Features.Get<IStatusCodeReExecuteFeature>() is not null)
            {
                await next(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            if (path.StartsWithSegments("/api"))
            {
                await ApiProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Code,
                    "This JobHub instance is stopping; nothing was changed. Try again in a moment.");
            }
        });
    }
}

/// <summary>Readiness: an instance that drains is not ready, from its first moment.</summary>
public sealed class DrainCheck(InstanceDrain drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.IsDraining ? HealthCheckResult.Unhealthy("Stopping: draining its pages and launches.") : HealthCheckResult.Healthy());
}
