using System.ComponentModel.DataAnnotations;
using System.Net;

namespace JobHub.Simulator;

/// <summary>
/// Section <c>Simulator</c>: where the simulated RunningHub is reached (loopback only, as it has no other protection than its
/// key), the keys it accepts, where it keeps its tasks and files, and how it behaves at start.
/// </summary>
public sealed class SimulatorOptions : IValidatableObject
{
    public const string Section = "Simulator";

    /// <summary>Its API's base address; it listens there and builds its file links on it, never on a request's Host header.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>The API keys it accepts (from configuration or environment; there is no default key).</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Where tasks and files are kept across restarts; empty: in memory only (tests).</summary>
    public string? DataFolder { get; set; }

    /// <summary>Its behaviour until changed through the control endpoints.</summary>
    public SimulatorSettings Settings { get; set; } = new();

    public const int MinKeyLength = 16;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            yield return new ValidationResult($"Simulator:BaseUrl '{BaseUrl}' must be an http address, e.g. http://127.0.0.1:5081", [nameof(BaseUrl)]);
        }
        else if (LoopbackAddress(uri) is null)
        {
            yield return new ValidationResult($"Simulator:BaseUrl '{BaseUrl}' is not a loopback address: the simulator only listens on 127.0.0.1, [::1] or localhost", [nameof(BaseUrl)]);
        }

        if (ApiKeys.Count == 0 || ApiKeys.Any(key => string.IsNullOrWhiteSpace(key) || key.Length < MinKeyLength))
        {
            yield return new ValidationResult($"Simulator:ApiKeys must name at least one key of {MinKeyLength} characters or more (./jobhub run generates one)", [nameof(ApiKeys)]);
        }
    }

    /// <summary>The loopback address to listen on for <paramref name="uri"/>, or null when it names another host.</summary>
    public static IPAddress? LoopbackAddress(Uri uri) => uri.Host switch
    {
        "localhost" => IPAddress.Loopback,
        _ when IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address) => address,
        _ => null,
    };
}
