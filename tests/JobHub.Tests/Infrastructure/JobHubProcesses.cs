using JobHub.Core;
using JobHub.Core.Invariants;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// JobHub.Web as a process of its own (the bench's <see cref="Bench.Load.JobHubProcess"/>, on the apphost in the test output)
/// with the test hosts' settings, on the database, storage and simulator a test gives it: for what only a real process
/// shows, its signals (SIGTERM, SIGKILL) and how it ends.
/// </summary>
public static class JobHubProcesses
{
    /// <summary>Starts JobHub on <paramref name="port"/> (none: a free one) and waits until it is ready; its output goes to <paramref name="log"/>.</summary>
    public static async Task<Bench.Load.JobHubProcess> StartAsync(string connectionString, SimulatorHost simulator, string storage, string log,
        int? port = null, IDictionary<string, string?>? more = null)
    {
        var address = new Uri($"http://127.0.0.1:{port ?? KestrelJobHub.FreePort()}/");
        var settings = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development", // the static files from the source tree, as the in-process hosts serve them
            ["ConnectionStrings:JobHub"] = connectionString,
            ["JobHub:PublicBaseUrl"] = address.ToString().TrimEnd('/'),
            ["JobHub:StorageRoot"] = storage,
            ["JobHub:Maintenance:Enabled"] = "false",
        };
        foreach (var (key, value) in simulator.JobHubSettings().Concat(TestRateLimits.Generous).Concat(Smtp4dev.MailSettings())
                     .Concat(more ?? new Dictionary<string, string?>()))
        {
            settings[key] = value;
        }

        var process = new Bench.Load.JobHubProcess(Path.Combine(AppContext.BaseDirectory, "JobHub.Web"), address, settings, log);
        try
        {
            await process.StartAsync();
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>The invariant checker over the database JobHub ran on, with the repository's tools.</summary>
    public static async Task<IReadOnlyList<Violation>> CheckInvariantsAsync(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:JobHub"] = connectionString })
            .Build();
        await using var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddJobHubCore(configuration).BuildServiceProvider();
        return await services.GetRequiredService<InvariantChecker>().CheckAsync();
    }
}
