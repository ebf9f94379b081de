using System.Diagnostics;
using JobHub.Bench;

namespace JobHub.Tests.Load;

/// <summary>A benchmark's section names when, on what, at which commit and by which command its figures were measured.</summary>
public sealed class BenchReportTests : IDisposable
{
    private readonly string checkout = Directory.CreateTempSubdirectory("jobhub-report-").FullName;

    [Fact]
    public void ASection_NamesTheCommitAndTheCommand_AndSaysWhenTrackedFilesDiffer()
    {
        Git("init", "-q");
        File.WriteAllText(Path.Combine(checkout, "code.cs"), "one");
        Directory.CreateDirectory(Path.Combine(checkout, "docs"));
        File.WriteAllText(Path.Combine(checkout, "docs", "benchmarks.md"), "");
        Git("add", ".");
        Git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "first");
        var commit = Git("rev-parse", "--short", "HEAD");
        var report = new BenchReport(Path.Combine(checkout, "docs", "benchmarks.md"));

        report.Write("chaos-2", "Chaos", ["| figures |"], "chaos --instances 2");
        // The report it rewrote is not a change to the measured code.
        report.Write("engine", "Engine", ["| figures |"]);

        var text = File.ReadAllText(report.Path);
        Assert.Contains($"cores at commit {commit} by `./jobhub bench chaos --instances 2`.", text);
        Assert.Contains($"cores at commit {commit} by `./jobhub bench engine`.", text);

        File.WriteAllText(Path.Combine(checkout, "code.cs"), "two");
        Assert.Equal($"{commit} (with uncommitted changes)", report.Commit());
    }

    private string Git(params string[] arguments)
    {
        var start = new ProcessStartInfo("git", ["-C", checkout, .. arguments]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        using var git = Process.Start(start)!;
        var output = git.StandardOutput.ReadToEnd();
        var errors = git.StandardError.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', arguments)}: {errors}");
        return output.Trim();
    }

    public void Dispose() => Directory.Delete(checkout, recursive: true);
}
