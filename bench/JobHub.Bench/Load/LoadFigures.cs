using Dapper;
using Npgsql;

namespace JobHub.Bench.Load;

/// <summary>The figures a run leaves in the database: every job's states and times, read from the jobs and their event log.</summary>
public static class LoadFigures
{
    public sealed record Outcomes(int Jobs, int Completed, int Failed, int Cancelled, int Active, double SpanSeconds,
        IReadOnlyDictionary<string, int> ErrorCodes);

    public static async Task<Outcomes> OutcomesAsync(NpgsqlConnection connection)
    {
        var row = await connection.QuerySingleAsync<(int Jobs, int Completed, int Failed, int Cancelled, int Active, double Span)>("""
            SELECT count(*)::int, count(*) FILTER (WHERE status = 'completed')::int, count(*) FILTER (WHERE status = 'failed')::int,
                   count(*) FILTER (WHERE status = 'cancelled')::int, count(*) FILTER (WHERE status IN ('queued', 'starting', 'running'))::int,
                   coalesce(extract(epoch FROM max(completed_at) - min(created_at)), 0)::float8
            FROM jobs
            """);
        var codes = (await connection.QueryAsync<(string Code, int Count)>(
            "SELECT coalesce(error_code, '-') || ' (' || status || ')', count(*)::int FROM jobs WHERE status <> 'completed' GROUP BY 1 ORDER BY 2 DESC"))
            .ToDictionary(r => r.Code, r => r.Count);
        return new Outcomes(row.Jobs, row.Completed, row.Failed, row.Cancelled, row.Active, row.Span, codes);
    }

    /// <summary>Submitted → running: the wait in the queue plus the launch.</summary>
    public static async Task<IReadOnlyList<double>> SubmitToRunningAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<double>(
            "SELECT extract(epoch FROM started_at - created_at)::float8 * 1000 FROM jobs WHERE started_at IS NOT NULL")).ToList();

    /// <summary>The launch alone: <c>starting</c> → <c>running</c> (inputs uploaded to RunningHub and the task started).</summary>
    public static async Task<IReadOnlyList<double>> LaunchAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<double>("""
            SELECT extract(epoch FROM r.at - s.at)::float8 * 1000
            FROM job_events r
            CROSS JOIN LATERAL (SELECT max(at) AS at FROM job_events s
                                WHERE s.job_id = r.job_id AND s.kind = 'transition' AND s.to_status = 'starting' AND s.id < r.id) s
            WHERE r.kind = 'transition' AND r.to_status = 'running' AND s.at IS NOT NULL
            """)).ToList();

    /// <summary>
    /// Promotion: a slot released (a job leaves <c>starting</c>/<c>running</c>) → the next queued job <c>starting</c>, for jobs
    /// that waited in the queue and were never sent back to it by a capacity error (their back-off decides when they start).
    /// </summary>
    public static async Task<IReadOnlyList<double>> PromotionAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<double>("""
            SELECT extract(epoch FROM s.at - r.at)::float8 * 1000
            FROM job_events s
            JOIN jobs j ON j.id = s.job_id AND j.launch_attempts = 0
            CROSS JOIN LATERAL (SELECT max(at) AS at FROM job_events r
                                WHERE r.kind = 'transition' AND r.from_status IN ('starting', 'running')
                                  AND r.to_status NOT IN ('starting', 'running') AND r.id < s.id AND r.at >= j.queued_at) r
            WHERE s.kind = 'transition' AND s.from_status = 'queued' AND s.to_status = 'starting' AND r.at IS NOT NULL
            """)).ToList();
}
