using System.ComponentModel.DataAnnotations;

namespace JobHub.Web.Drain;

/// <summary>How an instance leaves on SIGTERM (<see cref="InstanceDrain"/>); the keys are in docs/configuration.md.</summary>
public sealed class DrainOptions
{
    public const string Section = "JobHub:Drain";

    /// <summary>
    /// How long the instance answers 503 (readiness, new requests) before it stops listening at all, so that a proxy or
    /// orchestrator that checks readiness sends new work elsewhere first. The pages move meanwhile.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan NotReadyFor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the submits under way and the open pages' moves are waited for before the host stops.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan PagesTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The host's shutdown time once drained: requests under way, the Hangfire servers (15 s) and the launches under way
    /// (RunningHub's calls, 30 s each) finish within it. A deployment's stop timeout must exceed both times together.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
