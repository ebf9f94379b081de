using JobHub.Core;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Tools;
using Microsoft.Extensions.Options;

namespace JobHub.Web.Jobs;

/// <summary>Builds a <see cref="JobRunnerModel"/> for a tool and a user from the engine's services.</summary>
public sealed class JobRunnerFactory(IServiceProvider services)
{
    public JobRunnerModel Create(ToolDefinition tool, Guid userId) => new(
        tool,
        userId,
        services.GetRequiredService<JobQueries>(),
        services.GetRequiredService<SubmitJob>(),
        services.GetRequiredService<RunAgain>(),
        services.GetRequiredService<CancelJob>(),
        services.GetRequiredService<ReconcileJob>(),
        services.GetRequiredService<QueueHeartbeat>(),
        services.GetRequiredService<QueueView>(),
        services.GetRequiredService<RunTimes>(),
        services.GetRequiredService<JobHub.Core.Limits.RateLimits>(),
        services.GetRequiredService<IOptions<JobHubOptions>>().Value.MaxConcurrent,
        services.GetRequiredService<TimeProvider>(),
        services.GetService<Drain.InstanceDrain>()); // none in an engine harness without the web host
}
