using System.Diagnostics;
using System.Net.Sockets;

namespace JobHub.Bench.Load;

/// <summary>
/// JobHub as its own process (the published <c>JobHub.Web</c>), so that it can be killed with SIGKILL and started again
/// on the same port and database, as a crash and a restart by a supervisor would.
/// </summary>
public sealed class JobHubProcess(string executable, Uri baseAddress, IReadOnlyDictionary<string, string?> settings, string logPath) : IAsyncDisposable
{
    private Process? process;

    public Uri BaseAddress => baseAddress;

    public int? Pid => process is { HasExited: false } p ? p.Id : null;

    /// <summary>Where this instance listens (its own port on loopback; a restart takes the same one).</summary>

    /// <summary>Its output, across restarts.</summary>
    public string LogPath => logPath;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(executable, ["--urls", baseAddress.ToString().TrimEnd('/')])
        {
            WorkingDirectory = Path.GetDirectoryName(executable)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        process?.Dispose();
        process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"JobHub exited during start-up with {process.ExitCode}; see {logPath}");
            }

            try
            {
                using var ready = await http.GetAsync(new Uri(baseAddress, "health/ready"), cancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"JobHub was not ready within 120 s; see {logPath}");
    }

    /// <summary>SIGTERM, as a supervisor stops a process, then waits for it to exit; its exit code (null when it was not running).</summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        if (process is not { HasExited: false } running)
        {
            return null;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", running.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(timeout);
        await running.WaitForExitAsync(deadline.Token);
        return running.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown, no flush, nothing finished; whatever was in flight is left as it was.</summary>
    public void Kill()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        process = null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The private PostgreSQL cluster that <c>./jobhub</c> started (its pg_ctl and data folder from the environment).</summary>
public static class PrivateCluster
{
    public static bool IsAvailable =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOBHUB_PG_BIN")) && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOBHUB_PG_DATA"));

    /// <summary><c>pg_ctl restart -m fast</c>: every connection is cut, the server is down for a moment, then back.</summary>
    public static async Task RestartAsync()
    {
        var pgCtl = Path.Combine(Environment.GetEnvironmentVariable("JOBHUB_PG_BIN")!, "pg_ctl");
        var data = Environment.GetEnvironmentVariable("JOBHUB_PG_DATA")!;
        // With its log file: without one the server would write to (and hold open) this process's output.
        string[] command = ["-D", data, "-l", Path.Combine(Path.GetDirectoryName(data.TrimEnd('/'))!, "postgres.log"), "-m", "fast", "-w", "-t", "60", "restart"];
        // PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user (see ./jobhub).
        var start = Environment.UserName == "root"
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", pgCtl, .. command])
            : new ProcessStartInfo(pgCtl, command);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl restart failed ({process.ExitCode}): {output}");
        }
    }
}
