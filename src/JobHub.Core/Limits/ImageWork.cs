using Microsoft.Extensions.Options;

namespace JobHub.Core.Limits;

/// <summary>
/// Decoding and scaling an upload holds its pixels and a core: at most <see cref="UploadOptions.ImageWorkers"/> run at
/// once, the others wait their turn (and stop waiting when their request is cancelled).
/// </summary>
public sealed class ImageWork(IOptions<UploadOptions> options) : IDisposable
{
    private readonly SemaphoreSlim slots = new(options.Value.ImageWorkersOrDefault, options.Value.ImageWorkersOrDefault);
    private int running;

    /// <summary>The work under way now (for tests of the bound, and for metrics).</summary>
    public int Running => Volatile.Read(ref running);

    /// <summary>A test seam: awaited inside the bound before each piece of work, so a test can hold the slots it took.</summary>
    internal Func<Task>? WhileHeld { get; set; }

    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken) => RunAsync<T>(() => Task.FromResult(work()), cancellationToken);

    /// <summary>Work that also awaits (opening the file it decodes) inside the bound.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        try
        {
            Interlocked.Increment(ref running);
            if (WhileHeld is { } held)
            {
                await held();
            }

            return await work();
        }
        finally
        {
            Interlocked.Decrement(ref running);
            slots.Release();
        }
    }

    public void Dispose() => slots.Dispose();
}
