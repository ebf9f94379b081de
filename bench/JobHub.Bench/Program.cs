using System.Globalization;
using JobHub.Bench;

// ./jobhub bench [engine]: runs the benchmarks and writes docs/benchmarks.md.
var admin = Environment.GetEnvironmentVariable("JOBHUB_TEST_ADMIN_CONNECTION");
if (string.IsNullOrEmpty(admin))
{
    Console.Error.WriteLine("JOBHUB_TEST_ADMIN_CONNECTION is not set: run the benchmarks with ./jobhub bench, which starts PostgreSQL.");
    return 2;
}

var which = args.FirstOrDefault() ?? "all";
if (which is not ("engine" or "webhook" or "all"))
{
    Console.Error.WriteLine($"unknown benchmark '{which}'; available: engine, webhook, all");
    return 2;
}

Console.WriteLine($"JobHub benchmarks on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
var figures = new List<Figure>();
if (which is "engine" or "all")
{
    figures.AddRange(await EngineBenchmark.RunAsync(admin));
}

if (which is "webhook" or "all")
{
    figures.AddRange(await WebhookBenchmark.RunAsync(admin));
}

var lines = new List<string>
{
    "# JobHub benchmark figures",
    "",
    string.Create(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on a machine with {Environment.ProcessorCount} cores, PostgreSQL on loopback, by `./jobhub bench`."),
    "",
    "| figure | p50 | p99 | max | target |",
    "|---|---|---|---|---|",
};
lines.AddRange(figures.Select(f => f.ToMarkdownRow()));
foreach (var line in lines.Skip(4))
{
    Console.WriteLine(line);
}

var output = Path.Combine(FindRepositoryRoot(), "docs", "benchmarks.md");
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
await File.WriteAllLinesAsync(output, lines);
Console.WriteLine($"written to {output}");
return 0;

static string FindRepositoryRoot()
{
    var directory = new DirectoryInfo(Environment.CurrentDirectory);
    while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "JobHub.sln")))
    {
        directory = directory.Parent;
    }

    return directory?.FullName ?? Environment.CurrentDirectory;
}
