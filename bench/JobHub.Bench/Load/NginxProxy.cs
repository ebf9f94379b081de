using System.Diagnostics;
using System.Globalization;

namespace JobHub.Bench.Load;

/// <summary>
/// Debian's nginx as a private process in front of JobHub instances, configured from the repository's
/// <c>deploy/nginx</c> templates exactly as <c>./jobhub run --instances N</c> renders them (<c>./jobhub nginx-config</c>):
/// its own folder, port, pid and logs, on loopback.
/// </summary>
public sealed class NginxProxy : IAsyncDisposable
{
    /// <summary>The cookie nginx keeps a browser on one instance with (<c>deploy/nginx/jobhub.conf.template</c>).</summary>
    public const string AffinityCookie = "jobhub_affinity";

    private readonly Process process;
    private int disposed;

    private NginxProxy(Process process, Uri baseAddress, string folder)
    {
        this.process = process;
        BaseAddress = baseAddress;
        Folder = folder;
    }

    public Uri BaseAddress { get; }

    /// <summary>Its configuration, pid and temporary files, and its two logs.</summary>
    public string Folder { get; }

    public string AccessLog => Path.Combine(Folder, "access.log");

    public string ErrorLog => Path.Combine(Folder, "error.log");

    /// <summary>The nginx binary: the one <c>./jobhub test</c> and <c>./jobhub bench</c> install (JOBHUB_NGINX), or Debian's path.</summary>
    public static string Executable => Environment.GetEnvironmentVariable("JOBHUB_NGINX") is { Length: > 0 } path ? path : "/usr/sbin/nginx";

    /// <summary>Renders the configuration for <paramref name="instances"/> into <paramref name="folder"/>, checks it and starts nginx on <paramref name="port"/>.</summary>
    public static async Task<NginxProxy> StartAsync(string repositoryRoot, int port, IReadOnlyList<Uri> instances, string folder)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run with ./jobhub test or ./jobhub bench, which install Debian's nginx.");
        }

        Directory.CreateDirectory(folder);
        var access = Path.Combine(folder, "access.log");
        var errors = Path.Combine(folder, "error.log");
        await RunAsync("bash", [Path.Combine(repositoryRoot, "jobhub"), "nginx-config", folder, $"127.0.0.1:{port}", access, errors,
            .. instances.Select(i => $"{i.Host}:{i.Port}")]);
        string[] options = ["-p", folder + "/", "-c", Path.Combine(folder, "nginx.conf"), "-e", errors];
        await RunAsync(Executable, ["-t", "-q", .. options]);

        var start = new ProcessStartInfo(Executable, [.. options, "-g", "daemon off;"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Executable}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var proxy = new NginxProxy(process, new Uri($"http://127.0.0.1:{port}/"), folder);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited during start-up with {process.ExitCode}: {await ReadSharedAsync(errors)}");
            }

            try
            {
                using var health = await http.GetAsync(new Uri(proxy.BaseAddress, "proxy/health"));
                if (health.IsSuccessStatusCode)
                {
                    return proxy;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        await proxy.DisposeAsync();
        throw new TimeoutException($"nginx did not answer within 20 s; see {errors}");
    }

    /// <summary>
    /// The instance (its address, as in the configuration) nginx sends a browser with this affinity cookie to: a request is
    /// sent with it, and the access log says which upstream answered (the last one, should the first have failed).
    /// </summary>
    public async Task<string> UpstreamForAsync(string affinity)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseAddress, "health"));
        request.Headers.Add("Cookie", $"{AffinityCookie}={affinity}");
        var mark = LogMark();
        using (await http.SendAsync(request))
        {
        }

        return await UpstreamInLogAsync(affinity, mark);
    }

    /// <summary>Where the access log ends now: a request sent after it is looked for past this point.</summary>
    public long LogMark() => File.Exists(AccessLog) ? new FileInfo(AccessLog).Length : 0;

    /// <summary>
    /// The upstream of the last request the access log shows with this affinity past <paramref name="since"/> (a
    /// <see cref="LogMark"/>); it waits for one, since nginx writes the line just after the answer is sent.
    /// </summary>
    public async Task<string> UpstreamInLogAsync(string affinity, long since = 0)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var line = (await ReadSharedAsync(AccessLog, since)).Split('\n').LastOrDefault(l => l.EndsWith($" affinity={affinity}", StringComparison.Ordinal));
            if (line is not null)
            {
                // "upstream=A, B upstream_status=502, 204": the last one tried answered.
                var upstreams = line[(line.IndexOf(" upstream=", StringComparison.Ordinal) + " upstream=".Length)..line.IndexOf(" upstream_status=", StringComparison.Ordinal)];
                return upstreams.Split(',').Last().Trim();
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no request with affinity {affinity} in {AccessLog} past byte {since}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Every access log line, for a test's diagnosis.</summary>
    public Task<string> AccessLogTextAsync() => ReadSharedAsync(AccessLog);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static async Task<string> ReadSharedAsync(string path, long from = 0)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        file.Seek(Math.Min(from, file.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(file);
        return await reader.ReadToEndAsync();
    }

    private static async Task RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output + await errors;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {text}"));
        }
    }
}
