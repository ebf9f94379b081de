using System.Globalization;

namespace JobHub.Bench.Upload;

/// <summary>
/// Another process's resident memory over a stretch of time, from <c>/proc</c>: its high-water mark (VmHWM, reset to the
/// current size at the start through <c>clear_refs</c>) and VmRSS sampled every 20 ms, which stands alone where no reset is allowed.
/// </summary>
public sealed class PeakMemory : IAsyncDisposable
{
    private readonly int pid;
    private readonly CancellationTokenSource stop = new();
    private readonly Task sampling;
    private readonly bool reset;
    private long sampledPeak;

    private PeakMemory(int pid)
    {
        this.pid = pid;
        Before = Read(pid, "VmRSS:");
        try
        {
            // "5" resets the high-water mark (Linux 4.0 and later) on a process of one's own; a read-only /proc refuses it.
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            reset = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            reset = false;
        }

        sampledPeak = Before;
        sampling = SampleAsync();
    }

    /// <summary>Resident bytes when the watch started.</summary>
    public long Before { get; }

    public static PeakMemory Watch(int pid) => new(pid);

    /// <summary>Stops sampling: the highest resident size seen, by the kernel's mark (none when it could not be reset) and by the samples.</summary>
    public async Task<(long? HighWaterMark, long Sampled)> StopAsync()
    {
        await stop.CancelAsync();
        await sampling;
        var sampled = Math.Max(sampledPeak, Read(pid, "VmRSS:"));
        return (reset ? Read(pid, "VmHWM:") : null, sampled);
    }

    private async Task SampleAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                sampledPeak = Math.Max(sampledPeak, Read(pid, "VmRSS:"));
                await Task.Delay(20, stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    /// <summary>A line of <c>/proc/PID/status</c> in bytes (the kernel writes it in kB).</summary>
    private static long Read(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await sampling;
        stop.Dispose();
    }
}
