using JobHub.Core.Persistence;
using JobHub.Core.Tools;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs.Slots;

/// <summary>How long runs took lately: the median run time (running → completed) per tool and over all tools.</summary>
public sealed record RecentRunTimes(IReadOnlyDictionary<string, TimeSpan> ByTool, TimeSpan? AllTools, DateTime ReadAt)
{
    public static readonly RecentRunTimes None = new(new Dictionary<string, TimeSpan>(), null, DateTime.MinValue);

    /// <summary>How long a run of <paramref name="toolKey"/> usually takes lately, if any ran.</summary>
    public TimeSpan? For(string toolKey) => ByTool.TryGetValue(toolKey, out var median) ? median : null;
}

/// <summary>
/// The recent run times the tool pages' estimates start from (<see cref="RunEstimates"/>), read from the last
/// <see cref="Sample"/> completed jobs and kept for a minute: every page shares one read, however many are open.
/// </summary>
public sealed class RunTimes(IDbContextFactory<JobHubDbContext> contexts, ToolCatalog catalog, TimeProvider clock)
{
    /// <summary>How many of the latest completed jobs the medians are taken from.</summary>
    public const int Sample = 200;

    /// <summary>How long one read serves every page.</summary>
    public static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim reading = new(1, 1);
    private volatile RecentRunTimes latest = RecentRunTimes.None;

    public async Task<RecentRunTimes> GetAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (now - latest.ReadAt < KeepFor)
        {
            return latest;
        }

        await reading.WaitAsync(cancellationToken);
        try
        {
            if (now - latest.ReadAt >= KeepFor)
            {
                latest = await ReadAsync(now, cancellationToken);
            }

            return latest;
        }
        finally
        {
            reading.Release();
        }
    }

    /// <summary>How long the jobs in the slots are kept for every page: the queue moves them, and each move re-reads them.</summary>
    public static readonly TimeSpan SlotsKeptFor = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim readingSlots = new(1, 1);
    private volatile RunEstimates? estimates;

    /// <summary>
    /// The tool pages' estimates (<see cref="RunEstimates"/>): recent run times and the jobs now in the slots, read at most
    /// once per <see cref="SlotsKeptFor"/> for every page.
    /// </summary>
    public async Task<RunEstimates> EstimatesAsync(int slots, CancellationToken cancellationToken = default)
    {
        var recent = await GetAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        if (estimates is { } kept && ReferenceEquals(kept.Recent, recent) && kept.Slots == slots && now - kept.ReadAt < SlotsKeptFor)
        {
            return kept;
        }

        await readingSlots.WaitAsync(cancellationToken);
        try
        {
            if (estimates is not { } fresh || !ReferenceEquals(fresh.Recent, recent) || fresh.Slots != slots || now - fresh.ReadAt >= SlotsKeptFor)
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                var inSlot = await db.Set<Job>().AsNoTracking()
                    .Where(j => j.Status == JobStatus.Starting || j.Status == JobStatus.Running)
                    .ToListAsync(cancellationToken);
                var blank = new RunEstimates(recent, catalog, [], slots, now);
                estimates = blank with { InSlot = inSlot.Select(j => new SlotRun(blank.Run(j), RunEstimates.Since(j))).ToList() };
            }

            return estimates!;
        }
        finally
        {
            readingSlots.Release();
        }
    }

    private async Task<RecentRunTimes> ReadAsync(DateTime now, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Raw SQL: medians are an ordered-set aggregate (EF has none). The newest jobs come from the jobs_created index, so
        // the read stays as short with a million jobs in history as with a hundred.
        var rows = await db.Database.SqlQuery<ToolMedian>($"""
            WITH recent AS (
                SELECT tool_key, extract(epoch FROM completed_at - started_at)::float8 AS seconds
                FROM jobs
                WHERE status = 'completed' AND started_at IS NOT NULL AND completed_at > started_at
                ORDER BY created_at DESC
                LIMIT {Sample})
            SELECT tool_key, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS seconds FROM recent GROUP BY tool_key
            UNION ALL
            SELECT NULL, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM recent HAVING count(*) > 0
            """).ToListAsync(cancellationToken);
        return new RecentRunTimes(
            rows.Where(r => r.ToolKey is not null).ToDictionary(r => r.ToolKey!, r => TimeSpan.FromSeconds(Math.Round(r.Seconds))),
            rows.FirstOrDefault(r => r.ToolKey is null) is { } all ? TimeSpan.FromSeconds(Math.Round(all.Seconds)) : null,
            now);
    }

    private sealed record ToolMedian(string? ToolKey, double Seconds);
}
