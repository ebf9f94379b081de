using System.Diagnostics;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Script;

/// <summary>
/// <c>./jobhub status</c> and <c>stop</c> in a checkout of its own (the script copied into a temporary folder), with
/// JOBHUB_URL unset: the instance its state names is its own only when that process runs from this checkout's folder; with
/// several instances, each is listed with its answers and Hangfire server, and nginx beside them.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class JobhubStatusTests : IDisposable
{
    private readonly string checkout = Directory.CreateTempSubdirectory("jobhub-checkout-").FullName;
    private readonly string other = Directory.CreateTempSubdirectory("jobhub-other-").FullName;
    private readonly List<Process> started = [];

    public JobhubStatusTests()
    {
        File.Copy(Repository.PathOf("jobhub"), Path.Combine(checkout, "jobhub"));
        Directory.CreateDirectory(Path.Combine(checkout, ".jobhub", "publish"));
    }

    [Fact]
    public async Task Status_SaysNotRunning_WhenItsPidIsAnotherCheckoutsJobHub()
    {
        var elsewhere = StartFakeJobHub(other);
        await File.WriteAllTextAsync(Path.Combine(checkout, ".jobhub", "web.pid"), elsewhere.Id + "\n");
        await File.WriteAllTextAsync(Path.Combine(checkout, ".jobhub", "web-url"), "http://localhost:5090\n");

        var status = await StatusAsync();

        Assert.StartsWith("JobHub: not running", status[0]);
        Assert.DoesNotContain(status, line => line.Contains($"pid {elsewhere.Id}"));
    }

    [Fact]
    public async Task Status_NamesItsOwnInstance_AndWhereItServes()
    {
        var own = StartFakeJobHub(Path.Combine(checkout, ".jobhub", "publish"));
        await File.WriteAllTextAsync(Path.Combine(checkout, ".jobhub", "web.pid"), own.Id + "\n");
        await File.WriteAllTextAsync(Path.Combine(checkout, ".jobhub", "web-url"), "http://localhost:5090\n");

        var status = await StatusAsync();

        Assert.Equal($"JobHub: running (pid {own.Id}) at http://localhost:5090", status[0]);
    }

    [Fact]
    public async Task Status_SaysNotRunning_AndForgetsThePid_WhenTheProcessIsGone()
    {
        var gone = StartFakeJobHub(Path.Combine(checkout, ".jobhub", "publish"));
        gone.Kill();
        await gone.WaitForExitAsync();
        await File.WriteAllTextAsync(Path.Combine(checkout, ".jobhub", "web.pid"), gone.Id + "\n");

        var status = await StatusAsync();

        Assert.StartsWith("JobHub: not running", status[0]);
        Assert.False(File.Exists(Path.Combine(checkout, ".jobhub", "web.pid")));
    }

    [Fact]
    public async Task Status_ListsEachInstance_WithItsAnswers_AndHangfireServer_AndNginx()
    {
        var (one, two, nginx) = await StartFakeInstancesAsync();

        var status = await StatusAsync();

        Assert.Equal("JobHub: 2 instance(s) running, behind nginx at http://localhost:5090", status[0]);
        Assert.Equal($"  instance 1: pid {one.Id} at http://127.0.0.1:1, /health 000, /health/ready 000, Hangfire server {Environment.MachineName}:{one.Id}", status[1]);
        Assert.Equal($"  instance 2: pid {two.Id} at http://127.0.0.1:2, /health 000, /health/ready 000, Hangfire server {Environment.MachineName}:{two.Id}", status[2]);
        Assert.StartsWith($"nginx: running (pid {nginx.Id}) at http://localhost:5090", status[3]);
    }

    [Fact]
    public async Task Status_NamesAnInstanceThatIsGone()
    {
        var (one, _, _) = await StartFakeInstancesAsync();
        one.Kill();
        await one.WaitForExitAsync();

        var status = await StatusAsync();

        Assert.Equal("JobHub: 1 instance(s) running, behind nginx at http://localhost:5090", status[0]);
        Assert.StartsWith("  instance 1: not running (was at http://127.0.0.1:1; log: ", status[1]);
    }

    [Fact]
    public async Task Stop_StopsNginxAndEveryInstance()
    {
        var (one, two, nginx) = await StartFakeInstancesAsync();

        var (exit, output, errors) = await ScriptAsync("stop");

        Assert.True(exit == 0, errors);
        Assert.Contains("nginx stopped.", output);
        Assert.Contains("JobHub stopped (2 instances).", output);
        foreach (var process in new[] { one, two, nginx })
        {
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), $"pid {process.Id} still runs");
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(checkout, ".jobhub"), "*.pid"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("9")]
    [InlineData("two")]
    public async Task Run_RefusesAnInstanceCountOutOfRange_BeforeStartingAnything(string count)
    {
        var (exit, _, errors) = await ScriptAsync("run", "--instances", count);

        Assert.NotEqual(0, exit);
        Assert.Contains($"--instances takes a number from 1 to 8, not '{count}'.", errors);
    }

    /// <summary>Two instances as ./jobhub run --instances 2 records them (pid and url files), and nginx in front (ports nothing listens on).</summary>
    private async Task<(Process One, Process Two, Process Nginx)> StartFakeInstancesAsync()
    {
        var state = Path.Combine(checkout, ".jobhub");
        var one = StartFakeJobHub(Path.Combine(state, "publish"));
        var two = StartFakeJobHub(Path.Combine(state, "publish"));
        var nginx = StartFake(Directory.CreateDirectory(Path.Combine(state, "nginx")).FullName, "nginx: master process");
        foreach (var (name, process, url) in new[] { ("web-1", one, "http://127.0.0.1:1"), ("web-2", two, "http://127.0.0.1:2") })
        {
            await File.WriteAllTextAsync(Path.Combine(state, $"{name}.pid"), process.Id + "\n");
            await File.WriteAllTextAsync(Path.Combine(state, $"{name}-url"), url + "\n");
        }

        await File.WriteAllTextAsync(Path.Combine(state, "nginx.pid"), nginx.Id + "\n");
        await File.WriteAllTextAsync(Path.Combine(state, "web-url"), "http://localhost:5090\n");
        return (one, two, nginx);
    }

    /// <summary>A process whose command line names JobHub.Web, as ./jobhub run starts it, working in <paramref name="folder"/>.</summary>
    private Process StartFakeJobHub(string folder) => StartFake(folder, "./JobHub.Web");

    private Process StartFake(string folder, string name)
    {
        var info = new ProcessStartInfo("bash") { WorkingDirectory = folder, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec -a '{name}' sleep 300");
        var process = Process.Start(info)!;
        started.Add(process);
        return process;
    }

    private async Task<string[]> StatusAsync()
    {
        var (exit, output, errors) = await ScriptAsync("status");
        Assert.True(exit == 0, $"./jobhub status exited {exit}: {errors}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private async Task<(int Exit, string Output, string Errors)> ScriptAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(checkout, "jobhub"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("JOBHUB_URL");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await errors);
    }

    public void Dispose()
    {
        foreach (var process in started)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
        }

        Directory.Delete(checkout, recursive: true);
        Directory.Delete(other, recursive: true);
    }
}
