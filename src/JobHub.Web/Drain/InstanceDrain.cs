using Microsoft.Extensions.Options;

namespace JobHub.Web.Drain;

/// <summary>
/// An instance leaving: from the first moment no new work (readiness and new requests 503, a page's submit refused in its
/// language); submits under way finish, its pages are told to move (<see cref="OpenPages"/>), then the host stops.
/// </summary>
public sealed class InstanceDrain(OpenPages pages, IOptions<DrainOptions> options, ILogger<InstanceDrain> logger)
{
    private readonly Lock starting = new();
    private readonly TaskCompletionSource submitsDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? drained;
    private int draining;
    private int submits;

    public bool IsDraining => Volatile.Read(ref draining) == 1;

    /// <summary>A submit may begin (dispose the lease when it has ended), or null: the instance is leaving, nothing may start.</summary>
    public IDisposable? TryBeginSubmit()
    {
        // Counted before the flag is read: a drain that begins meanwhile sees this submit and waits for it.
        Interlocked.Increment(ref submits);
        if (IsDraining)
        {
            EndSubmit();
            return null;
        }

        return new Lease(this);
    }

    /// <summary>Drains once, however often it is asked; completes when the pages have moved or the time is up.</summary>
    public Task DrainAsync()
    {
        lock (starting)
        {
            return drained ??= RunAsync();
        }
    }

    private async Task RunAsync()
    {
        Volatile.Write(ref draining, 1);
        if (Volatile.Read(ref submits) == 0)
        {
            submitsDone.TrySetResult();
        }

        var announced = Task.Delay(options.Value.NotReadyFor);
        var deadline = Task.Delay(options.Value.PagesTimeout);
        logger.LogInformation("Draining: no new work; waiting for the submits under way, then moving {Pages} open pages", pages.Count);
        if (await Task.WhenAny(submitsDone.Task, deadline) == deadline)
        {
            logger.LogWarning("Draining: submits still under way after {Timeout}", options.Value.PagesTimeout);
        }

        var left = await pages.MoveAllAsync(deadline);
        if (left > 0)
        {
            logger.LogWarning("Draining: {Pages} pages had not moved after {Timeout}; their connections close with the host", left, options.Value.PagesTimeout);
        }

        await announced;
    }

    private void EndSubmit()
    {
        if (Interlocked.Decrement(ref submits) == 0 && IsDraining)
        {
            submitsDone.TrySetResult();
        }
    }

    private sealed class Lease(InstanceDrain drain) : IDisposable
    {
        private int ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref ended, 1) == 0)
            {
                drain.EndSubmit();
            }
        }
    }
}
