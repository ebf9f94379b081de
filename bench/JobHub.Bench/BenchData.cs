using System.Diagnostics;
using Npgsql;

namespace JobHub.Bench;

/// <summary>
/// The data a busy site carries, for the figures that must stay flat as it grows: a queue of 10,000 jobs, and a
/// year of history (1,000,000 finished jobs with their events, debits, refunds and webhook deliveries). Written with
/// set-based SQL (minutes of inserts one by one), then vacuumed and analysed as autovacuum would have by then.
/// </summary>
public static class BenchData
{
    public const int QueuedJobs = 10_000;
    public const int HistoryJobs = 1_000_000;

    /// <summary>When a seeded queued job was queued: before anything a figure submits, so the seeded queue is ahead of it.</summary>
    public static readonly TimeSpan QueuedBefore = TimeSpan.FromHours(1);

    /// <summary>
    /// <paramref name="count"/> queued jobs of as many users (each paid, R4 and R6 as in a real queue), copies of the job
    /// <paramref name="template"/> (tool, parameters, inputs, app), queued over the hour before now in FIFO order.
    /// </summary>
    public static async Task<TimeSpan> SeedQueueAsync(string connectionString, Guid template, int count = QueuedJobs)
    {
        var clock = Stopwatch.StartNew();
        await ExecuteAsync(connectionString, $$"""
            CREATE TEMP TABLE seed_users ON COMMIT DROP AS
                SELECT gen_random_uuid() AS id, n FROM generate_series(1, {{count}}) n;
            INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, security_stamp, concurrency_stamp, credit_balance)
                SELECT id, id || '@queue.bench', upper(id || '@queue.bench'), id || '@queue.bench', upper(id || '@queue.bench'), 's', 'c', 100
                FROM seed_users;
            INSERT INTO credit_ledger (user_id, kind, amount, balance_after, reason, created_at)
                SELECT id, 'grant', 100, 100, 'bench', now() - interval '2 hours' FROM seed_users;
            CREATE TEMP TABLE seed_jobs ON COMMIT DROP AS
                SELECT gen_random_uuid() AS id, u.id AS user_id, u.n,
                       now() - interval '{{(int)QueuedBefore.TotalSeconds}} seconds' + u.n * interval '300 microseconds' AS at
                FROM seed_users u;
            INSERT INTO jobs (id, user_id, tool_key, status, parameters, inputs, webapp_id, credit_cost, waited_in_queue,
                              created_at, queued_at, queue_seq, updated_at)
                SELECT s.id, s.user_id, t.tool_key, 'queued', t.parameters, t.inputs, t.webapp_id, t.credit_cost, true,
                       s.at, s.at, nextval('jobs_queue_seq'), s.at
                FROM seed_jobs s, (SELECT * FROM jobs WHERE id = '{{template}}') t
                ORDER BY s.n;
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, message)
                SELECT id, at, 'transition', NULL, 'queued', 'user', 'all slots busy or older jobs waiting: queued' FROM seed_jobs;
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
                SELECT s.user_id, s.id, 'debit', -t.credit_cost, 100 - t.credit_cost, NULL, s.at
                FROM seed_jobs s, (SELECT credit_cost FROM jobs WHERE id = '{{template}}') t;
            UPDATE users SET credit_balance = 100 - (SELECT credit_cost FROM jobs WHERE id = '{{template}}') WHERE id IN (SELECT id FROM seed_users);
            """);
        await AnalyzeAsync(connectionString);
        return clock.Elapsed;
    }

    /// <summary>
    /// A year of finished jobs (<paramref name="count"/>, 50 a user, over the four tools): eight in ten completed, one failed
    /// (refunded), one cancelled (refunded); each with its first and last events, its debit and, when RunningHub ended
    /// it, its webhook delivery. Files older than the retention are marked deleted, as the retention sweep leaves them.
    /// </summary>
    public static async Task<TimeSpan> SeedHistoryAsync(string connectionString, int count = HistoryJobs)
    {
        var clock = Stopwatch.StartNew();
        var users = Math.Max(1, count / 50);
        await ExecuteAsync(connectionString, $$"""
            CREATE TEMP TABLE seed_users ON COMMIT DROP AS
                SELECT gen_random_uuid() AS id, n FROM generate_series(0, {{users - 1}}) n;
            INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, security_stamp, concurrency_stamp, credit_balance)
                SELECT id, id || '@history.bench', upper(id || '@history.bench'), id || '@history.bench', upper(id || '@history.bench'),
                       's', 'c', 1000
                FROM seed_users;
            INSERT INTO credit_ledger (user_id, kind, amount, balance_after, reason, created_at)
                SELECT id, 'grant', 1000, 1000, 'bench', now() - interval '400 days' FROM seed_users;
            CREATE TEMP TABLE seed_jobs ON COMMIT DROP AS
                SELECT gen_random_uuid() AS id, u.id AS user_id, i AS n,
                       (ARRAY['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'completed',
                              'failed', 'cancelled'])[1 + i % 10] AS status,
                       (ARRAY['image-upscaler', 'video-upscaler', 'pose-changer', 'virtual-try-on'])[1 + i % 4] AS tool_key,
                       now() - interval '366 days' + (i::float8 / {{count}}) * interval '365 days' AS at
                FROM generate_series(0, {{count - 1}}) i JOIN seed_users u ON u.n = i % {{users}};
            INSERT INTO jobs (id, user_id, tool_key, status, webapp_id, credit_cost, created_at, queue_seq, starting_at, started_at,
                              completed_at, account_key, task_id, outputs, outputs_copied_at, files_deleted_at, error_code, error_message,
                              cost_money, updated_at)
                SELECT id, user_id, tool_key, status, '2018451429635133442', 3, at, nextval('jobs_queue_seq'), at + interval '1 second',
                       at + interval '2 seconds', at + interval '62 seconds', (SELECT min(account_key) FROM runninghub_accounts),
                       (3000000000000000000 + n)::text,
                       CASE WHEN status = 'completed' THEN '[{"url":"https://www.runninghub.ai/out/1.png","nodeId":"9","outputType":"png"}]'::jsonb
                            ELSE '[]'::jsonb END,
                       CASE WHEN status = 'completed' THEN at + interval '63 seconds' END,
                       CASE WHEN at < now() - interval '30 days' THEN at + interval '30 days' END,
                       CASE status WHEN 'failed' THEN 'RUNNINGHUB_ERROR' WHEN 'cancelled' THEN 'CANCELLED_BY_USER' END,
                       CASE status WHEN 'failed' THEN 'CUDA out of memory' WHEN 'cancelled' THEN 'Cancelled.' END,
                       0.06, at + interval '62 seconds'
                FROM seed_jobs ORDER BY n;
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, message)
                SELECT id, at, 'transition', NULL, 'starting', 'user', 'slot free: starting' FROM seed_jobs
                UNION ALL
                SELECT id, at + interval '62 seconds', 'transition', 'running', status,
                       CASE status WHEN 'cancelled' THEN 'user' ELSE 'webhook' END, NULL FROM seed_jobs;
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
                SELECT user_id, id, 'debit', -3, 997, NULL, at FROM seed_jobs
                UNION ALL
                SELECT user_id, id, 'refund', 3, 1000, 'job ' || status, at + interval '62 seconds' FROM seed_jobs WHERE status <> 'completed';
            INSERT INTO webhook_deliveries (job_id, received_at, http_status, outcome, task_id, headers, body)
                SELECT id, at + interval '62 seconds', 200, 'finished', (3000000000000000000 + n)::text,
                       '{"Content-Type":"application/json","User-Agent":"RunningHub"}'::jsonb,
                       '{"event":"TASK_END","taskId":"' || (3000000000000000000 + n) || '","eventData":"{\"code\":0}"}'
                FROM seed_jobs WHERE status <> 'cancelled';
            """);
        await AnalyzeAsync(connectionString);
        return clock.Elapsed;
    }

    /// <summary>
    /// What autovacuum would have done by the time a site held this much (statistics and the visibility map), and the
    /// checkpoint that would have written it out: else the seed's checkpoint falls on the run measured next.
    /// </summary>
    public static async Task AnalyzeAsync(string connectionString)
    {
        foreach (var table in new[] { "users", "jobs", "job_events", "credit_ledger", "webhook_deliveries" })
        {
            await ExecuteAsync(connectionString, $"VACUUM ANALYZE {table}"); // one statement each: VACUUM runs outside a transaction
        }

        try
        {
            await ExecuteAsync(connectionString, "CHECKPOINT");
        }
        catch (PostgresException)
        {
            // not a superuser on a configured server: the run measured next may meet the checkpoint
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = sql.StartsWith("VACUUM", StringComparison.Ordinal) || sql == "CHECKPOINT" ? null : await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 1800 };
        await command.ExecuteNonQueryAsync();
        if (transaction is not null)
        {
            await transaction.CommitAsync();
        }
    }
}
