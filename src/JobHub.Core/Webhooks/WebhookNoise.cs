using System.Collections.Concurrent;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Webhooks;

/// <summary>One row of <c>webhook_noise</c>: the deliveries refused for one reason on one day (UTC), over all instances.</summary>
public sealed class WebhookNoiseRow
{
    public string Reason { get; set; } = "";
    public DateOnly Day { get; set; }
    public long Count { get; set; }
    public DateTime LastAt { get; set; }
}

public sealed class WebhookNoiseRowConfiguration : IEntityTypeConfiguration<WebhookNoiseRow>
{
    public void Configure(EntityTypeBuilder<WebhookNoiseRow> entity)
    {
        entity.ToTable("webhook_noise");
        entity.HasKey(n => new { n.Reason, n.Day }).HasName("webhook_noise_pkey");
    }
}

/// <summary>The refused deliveries of one reason: over the last days, and when the last one came.</summary>
public sealed record WebhookNoiseCount(string Reason, long Count, DateTime LastAt);

/// <summary>
/// Deliveries that anyone on the internet can send (a bad token, an unknown job) are counted, never stored: counted in
/// memory per reason and added to <c>webhook_noise</c> every <see cref="JobHubOptions.WebhookNoiseFlushInterval"/>, so
/// junk costs no database write of its own; each reason is logged at most once a minute, with the count since.
/// </summary>
public sealed class WebhookNoise(IDbContextFactory<JobHubDbContext> contexts, IOptions<JobHubOptions> options, TimeProvider clock,
    ILogger<WebhookNoise> logger) : BackgroundService
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Counter> counters = new(StringComparer.Ordinal);

    /// <summary>Counts one refused delivery of <paramref name="reason"/> (a <see cref="WebhookOutcomes"/> value).</summary>
    public void Count(string reason)
    {
        var counter = counters.GetOrAdd(reason, _ => new Counter());
        var now = clock.GetUtcNow().UtcTicks;
        Interlocked.Increment(ref counter.Pending);
        Interlocked.Exchange(ref counter.LastAtTicks, now);
        Interlocked.Increment(ref counter.NotLogged);
        var logged = Interlocked.Read(ref counter.LoggedAtTicks);
        if (now - logged >= LogEvery.Ticks && Interlocked.CompareExchange(ref counter.LoggedAtTicks, now, logged) == logged)
        {
            logger.LogWarning("{Count} webhook deliveries refused as {Reason} since the last report (counted, not stored)",
                Interlocked.Exchange(ref counter.NotLogged, 0), reason);
        }
    }

    /// <summary>Adds what this instance counted since the last flush to the table; on failure the counts wait for the next one.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var taken = new List<(string Reason, Counter Counter, long Count, DateTime LastAt)>();
        foreach (var (reason, counter) in counters)
        {
            if (Interlocked.Exchange(ref counter.Pending, 0) is > 0 and var count)
            {
                taken.Add((reason, counter, count, new DateTime(Interlocked.Read(ref counter.LastAtTicks), DateTimeKind.Utc)));
            }
        }

        if (taken.Count == 0)
        {
            return;
        }

        try
        {
            var day = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            // Raw SQL: an upsert that adds to the counts every instance flushed before (ON CONFLICT), in one statement.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO webhook_noise (reason, day, count, last_at)
                SELECT reason, {day}, count, last_at FROM unnest({taken.Select(t => t.Reason).ToArray()}, {taken.Select(t => t.Count).ToArray()},
                    {taken.Select(t => t.LastAt).ToArray()}) AS counted(reason, count, last_at)
                ON CONFLICT (reason, day) DO UPDATE SET count = webhook_noise.count + excluded.count,
                    last_at = greatest(webhook_noise.last_at, excluded.last_at)
                """, cancellationToken);
        }
        catch (Exception ex)
        {
            foreach (var (_, counter, count, _) in taken)
            {
                Interlocked.Add(ref counter.Pending, count);
            }

            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            logger.LogWarning(ex, "Could not add the refused webhook deliveries' counts to the database; they are kept for the next flush");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.WebhookNoiseFlushInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: the last counts are flushed below
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(CancellationToken.None);
    }

    private sealed class Counter
    {
        public long Pending;
        public long NotLogged;
        public long LastAtTicks;
        public long LoggedAtTicks = DateTime.MinValue.Ticks;
    }
}
