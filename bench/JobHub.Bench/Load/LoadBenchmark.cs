using System.Diagnostics;
using System.Globalization;
using JobHub.Core;
using JobHub.Core.Invariants;
using JobHub.Core.Persistence;
using JobHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobHub.Bench.Load;

/// <summary>One run: who loads the system, for how long, with which faults.</summary>
/// <param name="Instances">JobHub processes on the one database (several: behind nginx, where the users go); a kill kills one of them.</param>
public sealed record Scenario(string Name, LoadPlan Plan, Faults Faults, int Kills = 2, int Browsers = 0, int Instances = 1);

/// <summary>What a run showed: the users' and the database's figures, the outcome of every job, and the checker's verdict.</summary>
public sealed record ScenarioResult(
    Scenario Scenario,
    LoadReport Report,
    LoadFigures.Outcomes Outcomes,
    IReadOnlyList<Violation> Violations,
    bool Settled,
    TimeSpan Elapsed,
    TimeSpan SettleTime,
    IReadOnlyList<Figure> Figures,
    IReadOnlyList<string> Events);

/// <summary>
/// The load and chaos runs of issue 8: a fresh database, the RunningHub simulator in this process (so it outlives
/// JobHub's crashes, as RunningHub would), JobHub as its own process (or several behind nginx), the simulated users over HTTP (and a few in
/// Chromium), the faults, then the settling (no job left active) and <see cref="InvariantChecker"/>.
/// </summary>
public static class LoadBenchmark
{
    /// <param name="repositoryRoot">Where <c>./jobhub</c> and <c>deploy/nginx</c> are (the proxy of a run with several instances).</param>
    public static async Task<ScenarioResult> RunAsync(string adminConnectionString, string webExecutable, string repositoryRoot, Scenario scenario)
    {
        var database = await BenchDatabase.CreateAsync(adminConnectionString, "jobhub_load");
        var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database, MaxPoolSize = 50 }.ConnectionString;
        var storage = Path.Combine(Path.GetTempPath(), "jobhub-load", database);
        var report = new LoadReport();
        var events = new List<string>();
        var clock = Stopwatch.StartNew();
        void Note(string text)
        {
            var line = string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds,6:0.0} s  {text}");
            lock (events)
            {
                events.Add(line);
            }

            Console.WriteLine($"  [{scenario.Name}] {line}");
        }

        await using var simulator = await StartSimulatorAsync(FaultNames.Simulator(scenario.Faults, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)), report);
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "jobhub-load"));
        // One instance: JobHub alone on its address. Several: behind nginx, where the users and RunningHub's webhooks go,
        // while the kills hit the instances; all share the database and the file storage.
        var settings = Settings(connectionString, storage, simulator);
        IReadOnlyList<JobHubProcess> instances;
        IAsyncDisposable running;
        Uri address;
        if (scenario.Instances == 1)
        {
            address = new Uri($"http://127.0.0.1:{JobHubProcess.FreePort()}/");
            var single = new JobHubProcess(webExecutable, address,
                new Dictionary<string, string?>(settings) { ["JobHub:PublicBaseUrl"] = address.ToString().TrimEnd('/') },
                Path.Combine(Path.GetTempPath(), "jobhub-load", $"{database}.log"));
            running = single;
            try
            {
                await single.StartAsync();
            }
            catch
            {
                await single.DisposeAsync();
                throw;
            }

            instances = [single];
        }
        else
        {
            var proxied = await ProxiedInstances.StartAsync(webExecutable, repositoryRoot, scenario.Instances, settings,
                Path.Combine(Path.GetTempPath(), "jobhub-load", database));
            running = proxied;
            instances = proxied.Instances;
            address = proxied.BaseAddress;
        }

        List<Uri> webUrls = [address];
        await using var stopInstances = running;
        Note($"JobHub started (pid {string.Join(", ", instances.Select(i => i.Pid))}{(scenario.Instances > 1 ? $", behind nginx at {address}" : "")}), {scenario.Plan.Users} users, {FaultNames.Describe(scenario.Faults)}");

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var db = JobHubDbContext.FactoryFor(dataSource);
        using var stop = new CancellationTokenSource();
        var browserEmails = scenario.Browsers > 0
            ? await LoadDriver.CreateUsersAsync(db, scenario.Plan with { Users = scenario.Browsers }, "browser")
            : [];
        var stopAt = DateTime.UtcNow + scenario.Plan.Duration;
        var users = LoadDriver.RunAsync(webUrls, db, scenario.Plan, report, stop.Token);
        var browsers = BrowserUsers.RunAsync(webUrls, db, browserEmails, scenario.Plan.Password, stopAt, report, stop.Token);
        var chaos = ChaosAsync(scenario, instances, Note);

        await chaos;
        var drive = Task.WhenAll(users, browsers);
        if (await Task.WhenAny(drive, Task.Delay(TimeSpan.FromMinutes(20))) != drive)
        {
            Note("users did not finish within 20 minutes after the run; stopping them");
            await stop.CancelAsync();
        }

        try
        {
            await drive;
        }
        catch (OperationCanceledException)
        {
            // stopped above
        }

        Note($"users done: {report.CountOf("submitted")} submitted");
        var settling = Stopwatch.StartNew();
        var settled = await LoadDriver.SettleAsync(db, TimeSpan.FromMinutes(5));
        Note(settled ? $"settled after {settling.Elapsed.TotalSeconds:0.0} s" : "NOT settled within 5 minutes");
        var settleTime = settling.Elapsed;

        var checker = Checker(settings);
        var violations = (await checker.CheckAsync()).ToList();
        // Nothing lost in the background either: every completed job's result files copied (a copy in flight on a killed
        // instance is taken up by another, or by the restarted one, once its fetch times out).
        var uncopied = await LoadDriver.WaitForCopiesAsync(db, TimeSpan.FromMinutes(3));
        violations.AddRange(uncopied.Select(id => new Violation("copies", id.ToString(), "completed, its result files never copied")));
        Note(uncopied.Count == 0 ? "every completed job's outputs copied" : $"{uncopied.Count} completed job(s) without their outputs copied");
        Note($"invariant checker: {violations.Count} violation(s)");
        LoadFigures.Outcomes outcomes;
        var figures = new List<Figure>();
        // A data source of its own: idle connections of the run's one may have been cut by the PostgreSQL restart.
        await using (var figuresSource = NpgsqlDataSource.Create(connectionString))
        await using (var figuresDb = JobHubDbContext.FactoryFor(figuresSource).CreateDbContext())
        {
            outcomes = await LoadFigures.OutcomesAsync(figuresDb);
            var label = scenario.Name;
            Add(figures, $"{label}: submit (HTTP POST with the inputs → job created)", report.Samples("submit"), 100);
            Add(figures, $"{label}: start (submitted → running, queue wait included)", await LoadFigures.SubmitToRunningAsync(figuresDb), null);
            Add(figures, $"{label}: launch (starting → running: inputs uploaded, task started)", await LoadFigures.LaunchAsync(figuresDb), null);
            Add(figures, $"{label}: promotion (slot released → next queued job starting)", await LoadFigures.PromotionAsync(figuresDb), 100);
            Add(figures, $"{label}: webhook (RunningHub's delivery → JobHub's answer)", report.Samples("webhook"), 50);
            Add(figures, $"{label}: page update (change committed → shown in the browser)", report.Samples("page update"), null);
        }

        await stopInstances.DisposeAsync();
        await simulator.DisposeAsync();
        await Cleanup(adminConnectionString, database, storage, keep: violations.Count > 0 || !settled, Note);
        return new ScenarioResult(scenario, report, outcomes, violations, settled, clock.Elapsed, settleTime, figures, events);
    }

    private static void Add(List<Figure> figures, string name, IReadOnlyList<double> samples, double? target)
    {
        if (samples.Count > 0)
        {
            figures.Add(Figure.From($"{name} ({samples.Count})", samples, target));
        }
    }

    /// <summary>The kills (of each instance in turn) and the PostgreSQL restart, spread over the run.</summary>
    private static async Task ChaosAsync(Scenario scenario, IReadOnlyList<JobHubProcess> instances, Action<string> note)
    {
        var kills = scenario.Faults.HasFlag(Faults.Kill) ? scenario.Kills : 0;
        var restartPostgres = scenario.Faults.HasFlag(Faults.PostgresRestart);
        var moments = new List<(double At, string What)>();
        for (var i = 1; i <= kills; i++)
        {
            moments.Add(((double)i / (kills + 1), "kill"));
        }

        if (restartPostgres)
        {
            moments.Add((kills == 1 ? 0.75 : 0.5, "pg-restart"));
        }

        var started = DateTime.UtcNow;
        var killed = 0;
        foreach (var (at, what) in moments.OrderBy(m => m.At))
        {
            var when = started + scenario.Plan.Duration * at;
            if (when > DateTime.UtcNow)
            {
                await Task.Delay(when - DateTime.UtcNow);
            }

            if (what == "kill")
            {
                var number = killed++ % instances.Count;
                var jobhub = instances[number];
                var which = instances.Count == 1 ? "JobHub" : $"JobHub instance {number + 1}";
                var pid = jobhub.Pid;
                jobhub.Kill();
                note($"{which} (pid {pid}) killed with SIGKILL");
                await Task.Delay(TimeSpan.FromSeconds(2));
                await jobhub.StartAsync();
                note($"{which} started again (pid {jobhub.Pid})");
            }
            else if (PrivateCluster.IsAvailable)
            {
                note("PostgreSQL restarting (pg_ctl restart -m fast)");
                await PrivateCluster.RestartAsync();
                note("PostgreSQL back");
            }
            else
            {
                note("PostgreSQL restart skipped: not the private cluster of ./jobhub");
            }
        }

        var end = started + scenario.Plan.Duration;
        if (end > DateTime.UtcNow)
        {
            await Task.Delay(end - DateTime.UtcNow);
        }
    }

    /// <summary>JobHub's configuration for a run: the simulator as a configured RunningHub account, short timings so that faults resolve in seconds.</summary>
    internal static Dictionary<string, string?> Settings(string connectionString, string storage, BenchSimulator simulator)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:JobHub"] = connectionString,
            ["JobHub:StorageRoot"] = storage,
            ["JobHub:WebhookSecret"] = "load-run-secret",
            ["JobHub:SeedDemoUsers"] = "false",
            ["JobHub:RunningHub:Simulator:BaseUrl"] = simulator.BaseUrl,
            ["JobHub:RunningHub:Simulator:ApiKey"] = simulator.ApiKey,
            ["JobHub:RunningHub:CallTimeout"] = "00:00:05",
            ["JobHub:OrphanAfter"] = "00:00:20",
            ["JobHub:CapacityBackoffBase"] = "00:00:01",
            ["JobHub:CapacityBackoffMax"] = "00:00:08",
            ["JobHub:Maintenance:DefaultInterval"] = "00:00:02",
            ["JobHub:Maintenance:RecheckAfter"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Warning",
            // Every simulated person signs in from the driver's one address; the per-user limits stay as shipped.
            ["JobHub:RateLimits:SignIn:PermitLimit"] = "1000000",
        };
        foreach (var tool in new[] { "image-upscaler", "video-upscaler", "pose-changer", "virtual-try-on" })
        {
            settings[$"JobHub:Tools:{tool}:ReconcileAfter"] = "00:00:05";
        }

        return settings;
    }

    /// <summary>The checker with the run's own configuration (its deadlines and intervals are the ones JobHub ran with).</summary>
    private static InvariantChecker Checker(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
            .AddInMemoryCollection(settings)
            .Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddJobHubCore(configuration).BuildServiceProvider();
        return services.GetRequiredService<InvariantChecker>();
    }

    private static async Task<BenchSimulator> StartSimulatorAsync(SimulatorSettings settings, LoadReport report)
    {
        var simulator = await BenchSimulator.StartAsync(settings);
        simulator.State.WebhookObserved = (elapsed, status) =>
        {
            if (status is >= 200 and < 300)
            {
                report.Sample("webhook", elapsed);
            }
        };
        return simulator;
    }

    private static async Task Cleanup(string adminConnectionString, string database, string storage, bool keep, Action<string> note)
    {
        if (keep)
        {
            note($"database {database} kept for inspection");
            return;
        }

        await BenchDatabase.DropAsync(adminConnectionString, database, storage);
    }
}
