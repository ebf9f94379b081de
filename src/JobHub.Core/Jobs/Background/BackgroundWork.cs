using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Jobs.Background;

/// <summary>
/// Work an instance runs in the background after a commit (launches, delayed promotions):
/// one failure is logged and does not stop the rest; tests and shutdown can wait for it; shutdown cancels it.
/// What shutdown abandons is left in a state the sweeps finish.
/// </summary>
public sealed class BackgroundWork(ILogger logger, string what)
{
    private readonly ConcurrentDictionary<object, Task> inFlight = new();
    private readonly CancellationTokenSource stopping = new();

    /// <summary>Starts <paramref name="work"/> unless work under the same key is still running; false when it was not started.</summary>
    public bool Run(object key, Func<CancellationToken, Task> work)
    {
        if (inFlight.ContainsKey(key))
        {
            return false;
        }

        var start = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = Task.Run(async () =>
        {
            if (!await start.Task)
            {
                return;
            }

            try
            {
                await work(stopping.Token);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Shutting down: what was abandoned is picked up by the sweeps.
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Background {What} failed", what);
            }
        });
        if (!inFlight.TryAdd(key, task))
        {
            start.SetResult(false); // another caller took the key first: this one never runs
            return false;
        }

        task.ContinueWith(_ => inFlight.TryRemove(key, out Task? _), TaskScheduler.Default);
        start.SetResult(true);
        return true;
    }

    /// <summary>Whether nothing is under way now.</summary>
    public bool IsIdle => inFlight.IsEmpty;

    /// <summary>Completes when nothing is under way.</summary>
    public async Task WhenIdleAsync()
    {
        while (!inFlight.IsEmpty)
        {
            await Task.WhenAll(inFlight.Values.ToArray());
        }
    }

    /// <summary>Shutdown: cancels what is under way and waits for it to unwind.</summary>
    public async Task StopAsync()
    {
        await stopping.CancelAsync();
        await WhenIdleAsync();
    }
}
