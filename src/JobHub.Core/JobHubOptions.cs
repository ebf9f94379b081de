using System.ComponentModel.DataAnnotations;

namespace JobHub.Core;

/// <summary>The engine's settings (section <c>JobHub</c>).</summary>
public sealed class JobHubOptions
{
    public const string Section = "JobHub";

    /// <summary>R1: jobs <c>starting</c> + <c>running</c> at once, over all tools and accounts.</summary>
    [Range(1, 1000)]
    public int MaxConcurrent { get; set; } = 3;

    /// <summary>R8: a <c>starting</c> job without a task id after this long fails <c>ORPHANED</c>.</summary>
    public TimeSpan OrphanAfter { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>R8: a queued job waiting longer than this is cancelled.</summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>R8: a queued job whose page sent no heartbeat for this long (tab closed) is cancelled.</summary>
    public TimeSpan QueueHeartbeatTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Back-off after a RunningHub capacity error: base × 2^(attempt-1), capped, with jitter.</summary>
    public TimeSpan CapacityBackoffBase { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan CapacityBackoffMax { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Where RunningHub reaches this JobHub: the webhook URLs are built on it.</summary>
    [Required(AllowEmptyStrings = false)]
    [Url]
    public string PublicBaseUrl { get; set; } = "http://localhost:5080";

    /// <summary>HMAC secret for webhook tokens; when empty, one is generated once and kept in the database.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>HMAC key for the fingerprints of addresses that had the sign-up grant; generated like the webhook secret.</summary>
    public string? AddressSecret { get; set; }

    /// <summary>
    /// How often a signed-in session (a cookie, an open page) is checked against the account's security stamp: after
    /// a sign-out elsewhere or a password change, a copied cookie and open pages stop working within this time.
    /// </summary>
    public TimeSpan SessionCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Credits granted to an account once, when its e-mail address is confirmed.</summary>
    [Range(0, 1_000_000)]
    public int SignupCredits { get; set; } = 20;

    /// <summary>Folder for stored inputs and outputs (outside the web root). Empty: under the user's data folder.</summary>
    public string? StorageRoot { get; set; }

    /// <summary>How often an instance adds the refused webhook deliveries it counted (bad token, unknown job) to the database.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan WebhookNoiseFlushInterval { get; set; } = TimeSpan.FromSeconds(5);
}
