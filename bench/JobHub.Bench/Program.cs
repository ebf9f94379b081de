using System.Globalization;
using JobHub.Bench;
using JobHub.Bench.Load;
using JobHub.Bench.Upload;

// ./jobhub bench [engine|webhook|memory|chaos|load|upload|all] [options]: runs benchmarks and writes their sections of docs/benchmarks.md.
var admin = Environment.GetEnvironmentVariable("JOBHUB_TEST_ADMIN_CONNECTION");
if (string.IsNullOrEmpty(admin))
{
    Console.Error.WriteLine("JOBHUB_TEST_ADMIN_CONNECTION is not set: run the benchmarks with ./jobhub bench, which starts PostgreSQL.");
    return 2;
}

var which = args.FirstOrDefault() ?? "all";
string[] known = ["engine", "webhook", "memory", "chaos", "load", "upload", "all"];
if (!known.Contains(which))
{
    Console.Error.WriteLine($"unknown benchmark '{which}'; available: {string.Join(", ", known)}");
    return 2;
}

BenchArguments options;
try
{
    options = BenchArguments.Parse(args.Skip(1).ToArray());
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchArguments.Usage);
    return 2;
}

var web = Environment.GetEnvironmentVariable("JOBHUB_BENCH_WEB");
if (which is "chaos" or "load" or "upload" or "all" && (string.IsNullOrEmpty(web) || !File.Exists(web)))
{
    Console.Error.WriteLine("JOBHUB_BENCH_WEB (the published JobHub.Web) is not set: run with ./jobhub bench, which publishes it.");
    return 2;
}

Console.WriteLine($"JobHub benchmarks on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
var report = new BenchReport(Path.Combine(FindRepositoryRoot(), "docs", "benchmarks.md"));
var failed = false;
if (which is "engine" or "all")
{
    var engine = await EngineBenchmark.RunAsync(admin);
    report.Write("engine", "Engine (in process, PostgreSQL on loopback)", [.. FigureTable(engine.Figures), .. engine.Reference]);
}

if (which is "webhook" or "all")
{
    var webhook = await WebhookBenchmark.RunAsync(admin, string.IsNullOrEmpty(web) ? null : web);
    report.Write("webhook", "Webhook endpoint (real Kestrel, over HTTP)", [.. FigureTable(webhook.Figures), .. webhook.Reference]);
}

if (which is "memory" or "all")
{
    report.Write("memory", "Idle circuits", await MemoryBenchmark.RunAsync(admin, options.Pages ?? 200));
}

if (which is "chaos" or "all")
{
    var results = new List<ScenarioResult>();
    var faults = options.Faults is { } only ? [("only", only)] : ChaosScenarios.Each;
    foreach (var (name, fault) in faults)
    {
        var plan = new LoadPlan { Users = options.Users ?? 60, Duration = TimeSpan.FromSeconds(options.Seconds ?? 60), Tools = options.Tools ?? BenchArguments.ToolKeys };
        results.Add(await LoadBenchmark.RunAsync(admin, web!, FindRepositoryRoot(),
            new Scenario(options.Faults is null ? name : FaultNames.Describe(fault), plan, fault, Instances: options.Instances ?? 1)));
    }

    // One section per number of instances, so that a run with two leaves the single-instance figures in place.
    var instances = options.Instances ?? 1;
    report.Write(instances == 1 ? "chaos" : $"chaos-{instances}",
        instances == 1 ? "Chaos scenarios, each alone and all together" : $"Chaos scenarios with {instances} JobHub instances on one database, behind nginx",
        ChaosScenarios.Table(results), $"chaos {string.Join(' ', args.Skip(1))}".TrimEnd());
    failed |= results.Any(r => r.Violations.Count > 0 || !r.Settled);
}

if (which is "load" or "all")
{
    var plan = new LoadPlan { Users = options.Users ?? 500, Duration = TimeSpan.FromSeconds(options.Seconds ?? 600), Tools = options.Tools ?? BenchArguments.ToolKeys };
    var result = await LoadBenchmark.RunAsync(admin, web!, FindRepositoryRoot(), new Scenario("full run", plan, options.Faults ?? Faults.All, Kills: 2, Browsers: options.Browsers ?? 3,
        Instances: options.Instances ?? 1));
    report.Write("load", "Full run under load and faults", ChaosScenarios.FullRun(result));
    failed |= result.Violations.Count > 0 || !result.Settled;
}

if (which is "upload" or "all")
{
    report.Write("upload", "Uploads: the tool page against a plain HTTP POST", await UploadBenchmark.RunAsync(admin, web!));
}

Console.WriteLine($"written to {report.Path}");
return failed ? 1 : 0;

static IReadOnlyList<string> FigureTable(IEnumerable<Figure> figures) =>
[
    "| figure | p50 | p99 | max | target |",
    "|---|---|---|---|---|",
    .. figures.Select(f => f.ToMarkdownRow()),
];

static string FindRepositoryRoot()
{
    var directory = new DirectoryInfo(Environment.CurrentDirectory);
    while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "JobHub.sln")))
    {
        directory = directory.Parent;
    }

    return directory?.FullName ?? Environment.CurrentDirectory;
}

/// <summary>The benchmark entry point stays internal: the tests host JobHub.Web's public Program.</summary>
internal partial class Program;
