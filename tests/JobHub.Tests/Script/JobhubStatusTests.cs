using System.Diagnostics;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Script;

/// <summary>
/// <c>./jobhub status</c> in a checkout of its own (the script copied into a temporary folder), with JOBHUB_URL unset:
/// the instance its state names is its own only when that process runs from this checkout's folder.
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

    /// <summary>A process whose command line names JobHub.Web, as ./jobhub run starts it, working in <paramref name="folder"/>.</summary>
    private Process StartFakeJobHub(string folder)
    {
        var info = new ProcessStartInfo("bash") { WorkingDirectory = folder, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec -a ./JobHub.Web sleep 300");
        var process = Process.Start(info)!;
        started.Add(process);
        return process;
    }

    private async Task<string[]> StatusAsync()
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(checkout, "jobhub"));
        info.ArgumentList.Add("status");
        info.Environment.Remove("JOBHUB_URL");
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"./jobhub status exited {process.ExitCode}: {errors}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
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
