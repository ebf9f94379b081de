using JobHub.Simulator;

namespace JobHub.Bench.Load;

/// <summary>The faults a run injects; each can run alone or with the others.</summary>
[Flags]
public enum Faults
{
    None = 0,

    /// <summary>30 % of webhooks never sent.</summary>
    LostWebhooks = 1,

    /// <summary>30 % of webhooks sent twice, with a stale copy after them.</summary>
    DuplicateWebhooks = 2,

    /// <summary>10 % of tasks fail at RunningHub.</summary>
    ProviderFailures = 4,

    /// <summary>10 % of start calls refused with a capacity error.</summary>
    CapacityErrors = 8,

    /// <summary>5 % of start calls create the task and never answer.</summary>
    UnknownStarts = 16,

    /// <summary>The JobHub process killed with SIGKILL (twice by default) and started again.</summary>
    Kill = 32,

    /// <summary>PostgreSQL restarted mid-run.</summary>
    PostgresRestart = 64,

    /// <summary>Every fault the simulator injects (what the test-suite scenario runs).</summary>
    ProviderMix = LostWebhooks | DuplicateWebhooks | ProviderFailures | CapacityErrors | UnknownStarts,

    All = ProviderMix | Kill | PostgresRestart,
}

public static class FaultNames
{
    public static readonly IReadOnlyDictionary<string, Faults> ByName = new Dictionary<string, Faults>(StringComparer.OrdinalIgnoreCase)
    {
        ["none"] = Faults.None,
        ["lost"] = Faults.LostWebhooks,
        ["duplicate"] = Faults.DuplicateWebhooks,
        ["failures"] = Faults.ProviderFailures,
        ["capacity"] = Faults.CapacityErrors,
        ["unknown-start"] = Faults.UnknownStarts,
        ["kill"] = Faults.Kill,
        ["pg-restart"] = Faults.PostgresRestart,
        ["provider-mix"] = Faults.ProviderMix,
        ["all"] = Faults.All,
    };

    /// <summary>Parses "lost,duplicate" and the like; null when a name is unknown.</summary>
    public static Faults? Parse(string text)
    {
        var faults = Faults.None;
        foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!ByName.TryGetValue(name, out var fault))
            {
                return null;
            }

            faults |= fault;
        }

        return faults;
    }

    public static string Describe(Faults faults) =>
        faults == Faults.None ? "no faults"
        : faults == Faults.All ? "all faults"
        : string.Join(" + ", ByName.Where(n => n.Value != Faults.None && n.Value != Faults.All && n.Value != Faults.ProviderMix && faults.HasFlag(n.Value)).Select(n => n.Key));

    /// <summary>The simulator's settings for these faults, on top of a task timing.</summary>
    public static SimulatorSettings Simulator(Faults faults, TimeSpan queuedFor, TimeSpan runFor) => new()
    {
        QueuedFor = queuedFor,
        RunFor = runFor,
        ConcurrencyPerKey = 100, // JobHub's own limit (R1) is what is under test, not RunningHub's
        WebhookLostRate = faults.HasFlag(Faults.LostWebhooks) ? 0.3 : 0,
        WebhookDuplicateRate = faults.HasFlag(Faults.DuplicateWebhooks) ? 0.3 : 0,
        WebhookOutOfOrder = faults.HasFlag(Faults.DuplicateWebhooks),
        FailureRate = faults.HasFlag(Faults.ProviderFailures) ? 0.1 : 0,
        CapacityErrorRate = faults.HasFlag(Faults.CapacityErrors) ? 0.1 : 0,
        StartUnknownRate = faults.HasFlag(Faults.UnknownStarts) ? 0.05 : 0,
    };
}

/// <summary>
/// What the simulated users do: how many, for how long or how many jobs each, which tools, how often they look at
/// their job, and how many of them give up on a queued job.
/// </summary>
public sealed record LoadPlan
{
    public int Users { get; init; } = 100;

    /// <summary>Jobs each user submits, one after the other; null: as many as fit in <see cref="Duration"/>.</summary>
    public int? JobsPerUser { get; init; }

    /// <summary>How long users keep submitting; active jobs are followed to their end after it.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(10);

    public IReadOnlyList<string> Tools { get; init; } = ["image-upscaler", "video-upscaler", "pose-changer", "virtual-try-on"];

    /// <summary>How often a user's client asks for its job's state (jittered ±50 %).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a queued job's heartbeat is sent (an open page sends one every 15 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A running job older than this is checked with RunningHub by the client, as the page's poll does.</summary>
    public TimeSpan CheckAfter { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Share of queued jobs their user cancels.</summary>
    public double CancelShare { get; init; } = 0.05;

    /// <summary>Pause between a user's jobs (uniform 0..this).</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Users start over this span, not all in the same millisecond.</summary>
    public TimeSpan RampUp { get; init; } = TimeSpan.FromSeconds(5);

    public string Password { get; init; } = "Load-2026!";
}
