using System.Diagnostics;
using JobHub.Core;
using JobHub.Core.Invariants;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// JobHub.Web as a process of its own (the apphost in the test output), on the database, storage and RunningHub simulator a
/// test gives it: for what only a real process shows, its signals (SIGTERM, SIGKILL) and how it ends.
/// </summary>
public sealed class JobHubProcess : IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();

    private JobHubProcess(Process process, Uri baseAddress)
    {
        Process = process;
        BaseAddress = baseAddress;
    }

    public Process Process { get; }
    public Uri BaseAddress { get; }

    /// <summary>What the process wrote, for a failing test's message.</summary>
    public string Output => string.Join('\n', output);

    /// <summary>Starts JobHub on <paramref name="port"/> (none: a free one) and waits until it is ready.</summary>
    public static async Task<JobHubProcess> StartAsync(string connectionString, SimulatorHost simulator, string storage, int? port = null,
        IDictionary<string, string?>? settings = null)
    {
        var url = $"http://127.0.0.1:{port ?? KestrelJobHub.FreePort()}";
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "JobHub.Web"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
            ArgumentList = { "--urls", url, "--environment", "Development" },
        };
        foreach (var (key, value) in Settings(connectionString, simulator, storage, url, settings))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        var started = new JobHubProcess(process, new Uri(url + "/"));
        process.OutputDataReceived += (_, line) => started.Keep(line.Data);
        process.ErrorDataReceived += (_, line) => started.Keep(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                if ((await http.GetAsync(url + "/health/ready")).IsSuccessStatusCode)
                {
                    return started;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(200);
        }

        await started.DisposeAsync();
        throw new TimeoutException($"JobHub did not become ready on {url}:\n{started.Output}");
    }

    private static Dictionary<string, string?> Settings(string connectionString, SimulatorHost simulator, string storage, string url,
        IDictionary<string, string?>? more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:JobHub"] = connectionString,
            ["JobHub:PublicBaseUrl"] = url,
            ["JobHub:StorageRoot"] = storage,
            ["JobHub:Maintenance:Enabled"] = "false",
        };
        foreach (var (key, value) in simulator.JobHubSettings().Concat(TestRateLimits.Generous).Concat(Smtp4dev.MailSettings()).Concat(more ?? new Dictionary<string, string?>()))
        {
            settings[key] = value;
        }

        return settings;
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }

    /// <summary>SIGTERM, as systemd, Docker or <c>./jobhub stop</c> send it.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to end; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        await Process.WaitForExitAsync(timeout.Token);
        return Process.ExitCode;
    }

    /// <summary>The invariant checker over the database JobHub ran on, with the repository's tools.</summary>
    public static async Task<IReadOnlyList<Violation>> CheckInvariantsAsync(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:JobHub"] = connectionString })
            .Build();
        await using var services = new ServiceCollection().AddLogging().AddJobHubCore(configuration).BuildServiceProvider();
        return await services.GetRequiredService<InvariantChecker>().CheckAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }
}
