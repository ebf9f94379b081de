using System.ComponentModel.DataAnnotations;

namespace JobHub.Core.RunningHub;

/// <summary>
/// Section <c>JobHub:RunningHub</c>: the accounts (API keys) JobHub may use; with none, the RunningHub simulator it is
/// pointed at (a service of its own: <c>./jobhub run</c> starts one and gives both the same generated key).
/// </summary>
public sealed class RunningHubOptions
{
    public const string Section = "JobHub:RunningHub";

    public const string DefaultBaseUrl = "https://www.runninghub.ai";

    public List<RunningHubAccountOptions> Accounts { get; set; } = [];

    /// <summary>The simulator used when no account has a key.</summary>
    public SimulatorAccountOptions Simulator { get; set; } = new();

    /// <summary>True when an account has a key: JobHub runs against RunningHub itself.</summary>
    public bool HasRealAccounts => Accounts.Any(a => !string.IsNullOrWhiteSpace(a.ApiKey));

    /// <summary>
    /// Why JobHub cannot serve with these options (no account with a key, and no simulator), or null. Checked when a web
    /// instance starts, not on every read of the options: engine tests and benchmarks run on a fake client without one.
    /// </summary>
    public string? MissingRunningHub() =>
        !HasRealAccounts && (string.IsNullOrWhiteSpace(Simulator.BaseUrl) || string.IsNullOrWhiteSpace(Simulator.ApiKey))
            ? $"{Section}: no account has an ApiKey, and no simulator is configured ({Section}:Simulator:BaseUrl and ApiKey; ./jobhub run starts one)"
            : null;

    /// <summary>Timeout for one call to RunningHub.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>RunningHub instance type for every run (<c>default</c> 24 GB or <c>plus</c> 48 GB); empty: not sent.</summary>
    public string? InstanceType { get; set; }

    /// <summary>
    /// Hosts any account may serve result files from, besides its own (see <see cref="RunningHubAccountOptions.OutputHosts"/>):
    /// <c>host</c>, <c>*.domain</c> or <c>host:port</c>.
    /// </summary>
    public List<string> OutputHosts { get; set; } = [];
}

public sealed class RunningHubAccountOptions
{
    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[a-z0-9][a-z0-9-]{0,39}$")]
    public string Key { get; set; } = "";

    /// <summary>The API key; from configuration or environment only, never logged.</summary>
    public string ApiKey { get; set; } = "";

    public string BaseUrl { get; set; } = RunningHubOptions.DefaultBaseUrl;

    /// <summary>R11: this account's own limit of concurrent tasks.</summary>
    [Range(1, 1000)]
    public int MaxConcurrent { get; set; } = 3;

    /// <summary>
    /// Where this account's result files may be copied from (<c>host</c>, <c>*.domain</c> or <c>host:port</c>). Empty:
    /// RunningHub's own domains when <see cref="BaseUrl"/> is RunningHub's, and always the base URL's own host and port.
    /// </summary>
    public List<string> OutputHosts { get; set; } = [];
}

/// <summary>The RunningHub simulator JobHub uses when no account has a key: where it listens and the key it accepts.</summary>
public sealed class SimulatorAccountOptions
{
    public string BaseUrl { get; set; } = "";

    /// <summary>From configuration or environment only, never logged.</summary>
    public string ApiKey { get; set; } = "";
}

/// <summary>An account as the client needs it: where to call and with which key.</summary>
public sealed record RunningHubAccount(string Key, string BaseUrl, string ApiKey)
{
    public override string ToString() => $"RunningHubAccount {{ Key = {Key}, BaseUrl = {BaseUrl} }}";
}
