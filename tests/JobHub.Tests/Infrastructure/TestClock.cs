namespace JobHub.Tests.Infrastructure;

/// <summary>A clock the test moves; timers still run on real time.</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    private long ticks = start.UtcTicks;

    public TestClock() : this(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    /// <summary>Moves time on; until then every read returns the same instant.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}
