using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Bench.Load;

/// <summary>
/// The figures a run leaves in the database: every job's states and times, read from the jobs and their event log. The
/// intervals are raw SQL (EF Core): each pairs an event with an earlier one of the same or another job (LATERAL), which
/// LINQ cannot express.
/// </summary>
public static class LoadFigures
{
    public sealed record Outcomes(int Jobs, int Completed, int Failed, int Cancelled, int Active, double SpanSeconds,
        IReadOnlyDictionary<string, int> ErrorCodes);

    public static async Task<Outcomes> OutcomesAsync(JobHubDbContext db)
    {
        var jobs = db.Set<Job>().AsNoTracking();
        var states = await jobs.GroupBy(j => j.Status).Select(g => new { Status = g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Status, g => g.Count);
        int Count(params string[] statuses) => statuses.Sum(status => states.GetValueOrDefault(status));
        var first = await jobs.MinAsync(j => (DateTime?)j.CreatedAt);
        var last = await jobs.MaxAsync(j => j.CompletedAt);
        var codes = (await jobs.Where(j => j.Status != JobStatus.Completed)
                .GroupBy(j => new { Code = j.ErrorCode ?? "-", j.Status }).Select(g => new { g.Key.Code, g.Key.Status, Count = g.Count() })
                .ToListAsync())
            .OrderByDescending(r => r.Count).ToDictionary(r => $"{r.Code} ({r.Status})", r => r.Count);
        return new Outcomes(states.Values.Sum(), Count(JobStatus.Completed), Count(JobStatus.Failed), Count(JobStatus.Cancelled),
            Count(JobStatus.Active), first is { } from && last is { } to ? (to - from).TotalSeconds : 0, codes);
    }

    /// <summary>Submitted → running: the wait in the queue plus the launch.</summary>
    public static async Task<IReadOnlyList<double>> SubmitToRunningAsync(JobHubDbContext db) =>
        (await db.Set<Job>().Where(j => j.StartedAt != null).Select(j => new { j.StartedAt, j.CreatedAt }).ToListAsync())
        .Select(j => (j.StartedAt!.Value - j.CreatedAt).TotalMilliseconds).ToList();

    /// <summary>The launch alone: <c>starting</c> → <c>running</c> (inputs uploaded to RunningHub and the task started).</summary>
    public static async Task<IReadOnlyList<double>> LaunchAsync(JobHubDbContext db) =>
        await db.Database.SqlQuery<double>($"""
            SELECT extract(epoch FROM r.at - s.at)::float8 * 1000
            FROM job_events r
            CROSS JOIN LATERAL (SELECT max(at) AS at FROM job_events s
                                WHERE s.job_id = r.job_id AND s.kind = 'transition' AND s.to_status = 'starting' AND s.id < r.id) s
            WHERE r.kind = 'transition' AND r.to_status = 'running' AND s.at IS NOT NULL
            """).ToListAsync();

    /// <summary>
    /// Promotion: a slot released (a job leaves <c>starting</c>/<c>running</c>) → the next queued job <c>starting</c>, for jobs
    /// that waited in the queue and were never sent back to it by a capacity error (their back-off decides when they start).
    /// </summary>
    public static async Task<IReadOnlyList<double>> PromotionAsync(JobHubDbContext db) =>
        await db.Database.SqlQuery<double>($"""
            SELECT extract(epoch FROM s.at - r.at)::float8 * 1000
            FROM job_events s
            JOIN jobs j ON j.id = s.job_id AND j.launch_attempts = 0
            CROSS JOIN LATERAL (SELECT max(at) AS at FROM job_events r
                                WHERE r.kind = 'transition' AND r.from_status IN ('starting', 'running')
                                  AND r.to_status NOT IN ('starting', 'running') AND r.id < s.id AND r.at >= j.queued_at) r
            WHERE s.kind = 'transition' AND s.from_status = 'queued' AND s.to_status = 'starting' AND r.at IS NOT NULL
            """).ToListAsync();
}
