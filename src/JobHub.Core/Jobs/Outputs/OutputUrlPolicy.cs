using System.Net;
using System.Net.Sockets;
using JobHub.Core.RunningHub;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs.Outputs;

/// <summary>A result URL JobHub will not fetch; the message says why (it is recorded as the copy error).</summary>
public sealed class OutputUrlRefusedException(string message) : IOException(message);

/// <summary>
/// Which result URLs JobHub may fetch, since a TASK_END names them: http(s) to the account's allowed hosts only, and no
/// non-public address unless it is exactly the account's configured base or output host. Checked on the addresses DNS
/// gave, as the connection opens (<see cref="ConnectAsync"/>), and again at each redirect, followed by hand.
/// </summary>
public sealed class OutputUrlPolicy
{
    public static readonly IReadOnlyList<string> RunningHubHosts = ["runninghub.ai", "*.runninghub.ai", "runninghub.cn", "*.runninghub.cn"];

    private readonly Dictionary<string, string[]> patternsByAccount = new(StringComparer.Ordinal);
    private readonly HashSet<string> localAuthorities = new(StringComparer.OrdinalIgnoreCase);

    public OutputUrlPolicy(RunningHubAccounts accounts, IOptions<RunningHubOptions> options)
    {
        foreach (var account in accounts.All)
        {
            var patterns = new List<string>(account.OutputHosts);
            patterns.AddRange(options.Value.OutputHosts);
            if (Uri.TryCreate(account.BaseUrl, UriKind.Absolute, out var baseUri))
            {
                patterns.Add(Authority(baseUri));
                if (account.OutputHosts.Count == 0 && Matches(baseUri.Host, baseUri.Port, RunningHubHosts))
                {
                    patterns.AddRange(RunningHubHosts);
                }
            }

            patternsByAccount[account.Key] = [.. patterns.Select(p => p.Trim().ToLowerInvariant()).Where(p => p.Length > 0).Distinct()];
            // An exact host:port named by the operator may be local (the simulator, a test file server).
            foreach (var pattern in patternsByAccount[account.Key].Where(p => p.Contains(':')))
            {
                localAuthorities.Add(pattern);
            }
        }
    }

    /// <summary>Why <paramref name="url"/> may not be fetched for a job of <paramref name="accountKey"/>; null when it may.</summary>
    public string? Refusal(Uri url, string? accountKey)
    {
        if (url.Scheme is not ("http" or "https"))
        {
            return $"not an http(s) URL: {url.Scheme}";
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            return "a result URL with credentials in it";
        }

        var patterns = accountKey is not null && patternsByAccount.TryGetValue(accountKey, out var found) ? found : [];
        return Matches(url.Host, url.Port, patterns) ? null
            : $"{url.Host} is not a host that serves this account's results (allowed: {string.Join(", ", patterns)})";
    }

    /// <summary>
    /// RunningHub's link to a result as a page may show it (a link, an image, a video): only an https URL on a host allowed
    /// for the job's account; null otherwise, and the page shows JobHub's copy alone. The one rule for every page.
    /// </summary>
    public string? Shown(string? url, string? accountKey) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps && Refusal(uri, accountKey) is null ? uri.AbsoluteUri : null;

    /// <summary>Where the shown links may point (<see cref="Shown"/>), as Content-Security-Policy sources.</summary>
    public IReadOnlyList<string> ShownSources =>
        [.. patternsByAccount.Values.SelectMany(p => p).Distinct().Order(StringComparer.Ordinal).Select(pattern => "https://" + pattern)];

    /// <summary>
    /// Opens the connection for a result download: to a configured local authority as asked, otherwise only to a
    /// public address of the host.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal) ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        if (!localAuthorities.Contains($"{endpoint.Host.ToLowerInvariant()}:{endpoint.Port}"))
        {
            addresses = [.. addresses.Where(IsPublic)];
            if (addresses.Length == 0)
            {
                throw new OutputUrlRefusedException($"{endpoint.Host} is a loopback, private or link-local address");
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True for an address on the public internet: not loopback, private, link-local, shared, benchmarking, reserved,
    /// multicast or unspecified, nor an IPv6 address that carries an IPv4 one to another network (NAT64, 6to4, Teredo).
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10 || b[0] == 0 || b[0] >= 224
                     || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 169 && b[1] == 254)
                     || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // carrier-grade NAT
                     || (b[0] == 198 && (b[1] & 0xFE) == 18) // benchmarking 198.18.0.0/15
                     || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2) // IETF protocol assignments, TEST-NET-1
                     || (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113)); // TEST-NET-2, -3
        }

        var bytes = address.GetAddressBytes();
        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6Teredo
                 || (bytes[0] & 0xFE) == 0xFC // unique local fc00::/7
                 || (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xFF && bytes[3] == 0x9B) // NAT64 64:ff9b::/96 and 64:ff9b:1::/48
                 || (bytes[0] == 0x20 && bytes[1] == 0x02) // 6to4 2002::/16
                 || (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8) // documentation 2001:db8::/32
                 || bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0); // IPv4-compatible ::a.b.c.d (and ::, ::1)
    }

    private static bool Matches(string host, int port, IEnumerable<string> patterns)
    {
        host = host.ToLowerInvariant();
        foreach (var pattern in patterns)
        {
            var matched = pattern.StartsWith("*.", StringComparison.Ordinal) ? host.EndsWith(pattern[1..], StringComparison.Ordinal)
                : pattern.Contains(':') ? pattern == $"{host}:{port}"
                : pattern == host;
            if (matched)
            {
                return true;
            }
        }

        return false;
    }

    private static string Authority(Uri uri) => $"{uri.Host.ToLowerInvariant()}:{uri.Port}";
}
