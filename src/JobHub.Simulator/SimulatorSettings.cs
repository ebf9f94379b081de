namespace JobHub.Simulator;

/// <summary>How the simulated RunningHub behaves; changed by configuration or at run time through the control endpoint.</summary>
public sealed record SimulatorSettings
{
    /// <summary>Concurrent tasks per API key before the real capacity error (421).</summary>
    public int ConcurrencyPerKey { get; init; } = 3;

    public TimeSpan QueuedFor { get; init; } = TimeSpan.FromMilliseconds(300);
    public TimeSpan RunFor { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Extra latency added to every API answer.</summary>
    public TimeSpan ResponseLatency { get; init; }

    /// <summary>Share of tasks that end FAILED (0–1), with this message.</summary>
    public double FailureRate { get; init; }
    public string FailureMessage { get; init; } = "CUDA out of memory (simulated)";

    /// <summary>The next N start calls answer this error code (421, 415, 1520 capacity; 1003 rate limit), whatever the load.</summary>
    public int CapacityErrorsNext { get; init; }
    public string CapacityErrorCode { get; init; } = "421";

    /// <summary>Share of start calls (0–1) refused with <see cref="CapacityErrorCode"/>, whatever the load.</summary>
    public double CapacityErrorRate { get; init; }

    /// <summary>Share of webhooks never sent, and sent twice (or more).</summary>
    public double WebhookLostRate { get; init; }
    public double WebhookDuplicateRate { get; init; }
    public int WebhookDuplicates { get; init; } = 2;
    public TimeSpan WebhookDelay { get; init; }

    /// <summary>Duplicated webhooks: a stale "RUNNING"-shaped copy is sent after the final one.</summary>
    public bool WebhookOutOfOrder { get; init; }

    /// <summary><c>eventData</c> as a JSON string in the legacy shape (true) or as a v2 object (false).</summary>
    public bool EventDataAsString { get; init; } = true;

    /// <summary>Query answers "task not found" for every task.</summary>
    public bool QueryNotFound { get; init; }

    /// <summary>Start calls create the task but never answer (the caller times out: outcome unknown).</summary>
    public bool StartHangs { get; init; }

    /// <summary>Share of start calls (0–1) that create the task and never answer, as <see cref="StartHangs"/> does for all.</summary>
    public double StartUnknownRate { get; init; }
}
