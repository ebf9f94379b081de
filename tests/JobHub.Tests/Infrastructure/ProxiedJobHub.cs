using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using JobHub.Bench.Load;
using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using JobHub.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Npgsql;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// JobHub as <c>./jobhub run --instances N</c> runs it, on this test's database, behind nginx from <c>deploy/nginx</c>, with
/// the simulator in the test's process (it outlives a killed instance, as RunningHub would).
/// </summary>
public sealed class ProxiedJobHub : IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;
    private readonly string storage;

    private ProxiedJobHub(ProxiedInstances proxied, SimulatorHost simulator, string database, string storage, string folder)
    {
        Proxied = proxied;
        RunningHub = simulator;
        Database = database;
        this.storage = storage;
        Folder = folder;
        dataSource = NpgsqlDataSource.Create(TestDatabase.ConnectionStringFor(database));
        Db = JobHubDbContext.FactoryFor(dataSource);
    }

    /// <summary>The password of the users <see cref="CreateUsersAsync"/> makes.</summary>
    public static string Password => new LoadPlan().Password;

    public ProxiedInstances Proxied { get; }

    /// <summary>nginx's address: the one JobHub's pages, the API and RunningHub's webhooks are reached at.</summary>
    public Uri BaseAddress => Proxied.BaseAddress;

    /// <summary>The JobHub processes, each on its own port (<see cref="JobHubProcess.Kill"/>, <see cref="JobHubProcess.TerminateAsync"/>, <see cref="JobHubProcess.StartAsync"/>).</summary>
    public IReadOnlyList<JobHubProcess> Instances => Proxied.Instances;

    public NginxProxy Proxy => Proxied.Proxy;

    public SimulatorHost RunningHub { get; }

    public SimulatorState Simulator => RunningHub.State;

    public string Database { get; }

    public IDbContextFactory<JobHubDbContext> Db { get; }

    /// <summary>The instances' logs and nginx's folder (kept after the test, for its diagnosis).</summary>
    public string Folder { get; }

    /// <param name="settings">Every instance's configuration overrides; the scheduler is off unless a test turns it on.</param>
    public static async Task<ProxiedJobHub> StartAsync(int instances = 2, IDictionary<string, string?>? settings = null, SimulatorSettings? simulator = null)
    {
        var web = await PublishedJobHub.ExecutableAsync();
        var database = await TestDatabase.CreateMigratedAsync();
        var storage = Path.Combine(Path.GetTempPath(), "jobhub-tests", Guid.NewGuid().ToString("N"));
        var folder = Path.Combine(AppContext.BaseDirectory, "proxied", database);
        var runningHub = await SimulatorHost.StartAsync(simulator);
        try
        {
            var all = new Dictionary<string, string?>
            {
                ["ConnectionStrings:JobHub"] = TestDatabase.ConnectionStringFor(database),
                ["JobHub:Maintenance:Enabled"] = "false",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            foreach (var (key, value) in StorageSettings(storage).Concat(runningHub.JobHubSettings()).Concat(TestRateLimits.Generous)
                         .Concat(Smtp4dev.MailSettings()).Concat(settings ?? new Dictionary<string, string?>()))
            {
                all[key] = value;
            }

            var proxied = await ProxiedInstances.StartAsync(web, Repository.Root, instances, all, folder);
            return new ProxiedJobHub(proxied, runningHub, database, storage, folder);
        }
        catch
        {
            await runningHub.DisposeAsync();
            await TestDatabase.DropAsync(database);
            throw;
        }
    }

    /// <summary>The storage every instance shares: the settings of the file store, given to each instance alike.</summary>
    private static Dictionary<string, string?> StorageSettings(string root) => new() { ["JobHub:StorageRoot"] = root };

    /// <summary>Where the instances store files (the local backend's root).</summary>
    public string StorageRoot => storage;

    /// <summary>Users with the <see cref="Password"/> (they sign in through the form) and these credits; their e-mails.</summary>
    public Task<IReadOnlyList<string>> CreateUsersAsync(int count = 1, int credits = 100) =>
        LoadDriver.CreateUsersAsync(Db, new LoadPlan { Users = count }, "proxied", credits);

    /// <summary>A browser context that nginx sends to instance <paramref name="index"/>: its affinity cookie is set before its first request.</summary>
    public async Task<IBrowserContext> NewBrowserContextOnAsync(int index)
    {
        var affinity = await Proxied.AffinityForAsync(index);
        var context = await (await Browser.GetAsync()).NewContextAsync();
        await context.AddCookiesAsync([new Cookie { Name = NginxProxy.AffinityCookie, Value = affinity, Url = BaseAddress.ToString() }]);
        return context;
    }

    public async Task<Job> GetJobAsync(Guid id)
    {
        await using var db = await Db.CreateDbContextAsync();
        return await db.Set<Job>().AsNoTracking().SingleAsync(j => j.Id == id);
    }

    public Task<T> ScalarAsync<T>(FormattableString sql) => Db.ScalarAsync<T>(sql);

    public Task<IReadOnlyList<T>> QueryAsync<T>(FormattableString sql) => Db.QueryListAsync<T>(sql);

    public Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null) => EngineHarness.WaitUntilAsync(condition, timeout);

    public async ValueTask DisposeAsync()
    {
        await Proxied.DisposeAsync();
        await RunningHub.DisposeAsync();
        await dataSource.DisposeAsync();
        await TestDatabase.DropAsync(Database);
        if (Directory.Exists(storage))
        {
            Directory.Delete(storage, recursive: true);
        }
    }
}

/// <summary>
/// JobHub.Web published once per test run from the build the tests run on (<c>dotnet publish --no-build</c>, the tests'
/// own configuration), for the tests that start it as processes of its own.
/// </summary>
public static class PublishedJobHub
{
    private static readonly Lazy<Task<string>> Executable = new(PublishAsync);

    /// <summary>The published <c>JobHub.Web</c> executable.</summary>
    public static Task<string> ExecutableAsync() => Executable.Value;

    private static async Task<string> PublishAsync()
    {
        var configuration = typeof(PublishedJobHub).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var checkout = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Repository.Root)))[..12];
        var folder = Path.Combine(Path.GetTempPath(), "jobhub-tests-web", $"{checkout}-{configuration}");
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true); // the previous run's build
        }

        var start = new ProcessStartInfo("dotnet",
            ["publish", Repository.PathOf("src/JobHub.Web/JobHub.Web.csproj"), "-c", configuration, "--no-build", "-o", folder, "-nologo", "-v", "quiet"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var publish = Process.Start(start)!;
        var output = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        var executable = Path.Combine(folder, "JobHub.Web");
        if (publish.ExitCode != 0 || !File.Exists(executable))
        {
            throw new InvalidOperationException($"dotnet publish of JobHub.Web failed ({publish.ExitCode}): {await output}{await errors}");
        }

        return executable;
    }
}
