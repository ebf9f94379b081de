using System.Security.Claims;
using Bunit;
using JobHub.Core.Jobs;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using JobHub.Web.Realtime;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Components;

/// <summary>
/// The frame of a component test on the real engine: an <see cref="EngineHarness"/> (its own PostgreSQL database, the job
/// engine, the fake RunningHub client, the test clock) behind a bUnit <see cref="ComponentContext"/>, with the page-side
/// services the job components use (the runner's factory, the change feed, the queue positions).
/// </summary>
public abstract class EngineComponentTests : IAsyncLifetime
{
    protected EngineHarness H { get; private set; } = null!;

    protected ComponentContext Ui { get; } = new();

    public async Task InitializeAsync()
    {
        H = await EngineHarness.CreateAsync(configure: services => AddServices(services
            .AddSingleton<JobRunnerFactory>()
            .AddSingleton<JobNotifications>()
            .AddSingleton<QueuePositionFeed>()));
        Ui.Services.AddFallbackServiceProvider(H.Services);
        // The state a page keeps when its circuit pauses (the runner's choices), as the framework provides it.
        Ui.Services.AddSingleton<Microsoft.AspNetCore.Components.Infrastructure.ComponentStatePersistenceManager>();
        Ui.Services.AddSingleton(services => services.GetRequiredService<Microsoft.AspNetCore.Components.Infrastructure.ComponentStatePersistenceManager>().State);
        Ui.Services.AddSingleton<TimeProvider>(H.Clock); // bUnit brings a clock of its own; the pages must read the engine's
    }

    /// <summary>Services a test class adds to the engine's (a maintenance task of its own, say).</summary>
    protected virtual void AddServices(IServiceCollection services)
    {
    }

    public async Task DisposeAsync()
    {
        await Ui.DisposeAsync();
        await H.DisposeAsync();
    }

    /// <summary>Signs <paramref name="user"/> in for the components rendered next (as an admin when asked).</summary>
    protected void SignIn(Guid user, bool admin = false)
    {
        var auth = Ui.AddAuthorization().SetAuthorized("person@example.com");
        if (admin)
        {
            auth.SetRoles("admin");
        }

        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, user.ToString())); // after the roles, which replace the claims
    }

    /// <summary>What the change listener would publish when <paramref name="job"/> moved to <paramref name="status"/>.</summary>
    protected Task PublishAsync(Job job, string status) =>
        H.Services.GetRequiredService<JobNotifications>().PublishAsync(new JobChange(job.Id, job.UserId, status));
}
