using JobHub.Web.Realtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace JobHub.Tests.Web;

/// <summary>The admin pages' live refresh (<see cref="LiveRefresh"/>) on a clock the test moves.</summary>
public sealed class LiveRefreshTests
{
    private readonly JobNotifications notifications = new(NullLogger<JobNotifications>.Instance);
    private readonly FakeTimeProvider clock = new();
    private int reads;

    private LiveRefresh Start() => new(notifications, clock, () =>
    {
        Interlocked.Increment(ref reads);
        return Task.CompletedTask;
    });

    private void Ticks(int count)
    {
        for (var i = 0; i < count; i++)
        {
            clock.Advance(LiveRefresh.Tick);
        }
    }

    private Task ChangeAsync() => notifications.PublishAsync(new JobChange(Guid.NewGuid(), Guid.NewGuid(), "running"));

    [Fact]
    public async Task ABurstOfJobChanges_IsReadOnce_OnTheNextTick()
    {
        using var live = Start();
        await ChangeAsync();
        await ChangeAsync();
        await ChangeAsync();
        Assert.Equal(0, reads);

        Ticks(1);
        Assert.Equal(1, reads);

        Ticks(1);
        Assert.Equal(1, reads); // nothing changed since
    }

    [Fact]
    public void WithoutChanges_ItReadsEveryFewTicks()
    {
        using var live = Start();

        Ticks(LiveRefresh.TicksPerRead - 1);
        Assert.Equal(0, reads);
        Ticks(1);
        Assert.Equal(1, reads);
        Ticks(LiveRefresh.TicksPerRead);
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task OnceDisposed_ItReadsNothingMore()
    {
        var live = Start();
        Ticks(LiveRefresh.TicksPerRead);
        Assert.Equal(1, reads);

        live.Dispose();
        await ChangeAsync();
        Ticks(3 * LiveRefresh.TicksPerRead);

        Assert.Equal(1, reads);
    }
}
