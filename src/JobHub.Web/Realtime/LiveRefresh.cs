namespace JobHub.Web.Realtime;

/// <summary>
/// A live view's refresh loop: every job change marks it stale and a tick on the clock reads it again, so a burst of
/// changes costs at most one read a tick; every few ticks it reads anyway (the ages it shows move). Dispose stops both.
/// </summary>
public sealed class LiveRefresh : IDisposable
{
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>Without a change, a read every this many ticks.</summary>
    public const int TicksPerRead = 5;

    private readonly Func<Task> refresh;
    private readonly IDisposable subscription;
    private readonly ITimer timer;
    private volatile bool stale;
    private volatile bool stopped;
    private int ticks;

    /// <param name="refresh">Reads and shows the view again; called on the timer's thread.</param>
    public LiveRefresh(JobNotifications notifications, TimeProvider clock, Func<Task> refresh)
    {
        this.refresh = refresh;
        subscription = notifications.Subscribe(null, _ =>
        {
            stale = true;
            return Task.CompletedTask;
        });
        timer = clock.CreateTimer(_ => OnTick(), null, Tick, Tick);
    }

    private void OnTick()
    {
        if (!stopped && (stale || ++ticks % TicksPerRead == 0))
        {
            stale = false;
            _ = refresh();
        }
    }

    public void Dispose()
    {
        stopped = true;
        subscription.Dispose();
        timer.Dispose();
    }
}
