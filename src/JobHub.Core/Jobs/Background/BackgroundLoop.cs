namespace JobHub.Core.Jobs.Background;

/// <summary>
/// The loop of an engine singleton (<see cref="CopyOutputs"/>, the <see cref="SlotBatcher"/>s, <see cref="JobChangeFeed"/>):
/// started once, by the host's start (EngineLifetime) or by first use in a harness without a host, and never in its
/// first caller's execution context: the loop outlives that call and must not be traced, or carry state, as part of it.
/// </summary>
internal sealed class BackgroundLoop(Func<Task> body)
{
    private readonly Lock starting = new();
    private Task? running;

    /// <summary>The loop, once started (null before).</summary>
    public Task? Running => running;

    /// <summary>Completes when the loop has ended (at once when it never started): what an instance's stop awaits.</summary>
    public Task Completion => running ?? Task.CompletedTask;

    public void Start()
    {
        if (running is null)
        {
            lock (starting)
            {
                using (ExecutionContext.SuppressFlow())
                {
                    running ??= Task.Run(body);
                }
            }
        }
    }
}
