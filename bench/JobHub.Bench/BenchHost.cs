using JobHub.Core.Persistence;
using JobHub.Simulator;
using JobHub.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobHub.Bench;

/// <summary>JobHub in this process on real Kestrel, on a fresh database of its own (dropped at the end), for the in-process benchmarks.</summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly string adminConnectionString;
    private readonly string database;
    private readonly string storage;
    private readonly bool ownsDatabase;

    private BenchHost(WebApplication app, string baseUrl, string adminConnectionString, string database, string storage, bool ownsDatabase, BenchSimulator simulator)
    {
        RunningHub = simulator;
        this.ownsDatabase = ownsDatabase;
        App = app;
        BaseUrl = baseUrl;
        this.adminConnectionString = adminConnectionString;
        this.database = database;
        this.storage = storage;
    }

    public WebApplication App { get; }
    public string Database => database;
    public string ConnectionString => new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
    public string Storage => storage;
    public string BaseUrl { get; }
    /// <summary>The simulator this JobHub runs against (its own, in this process).</summary>
    public BenchSimulator RunningHub { get; }
    public SimulatorState Simulator => RunningHub.State;
    public IDbContextFactory<JobHubDbContext> Db => App.Services.GetRequiredService<IDbContextFactory<JobHubDbContext>>();

    /// <param name="sharedDatabase">Another host's database: this host is then a second instance on it (and leaves it to its owner).</param>
    public static async Task<BenchHost> StartAsync(string adminConnectionString, Dictionary<string, string?> settings, string? sharedDatabase = null)
    {
        var database = sharedDatabase ?? await BenchDatabase.CreateAsync(adminConnectionString, "jobhub_bench");
        var simulator = await BenchSimulator.StartAsync();
        var port = Load.JobHubProcess.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var storage = Path.Combine(Path.GetTempPath(), "jobhub-bench", database);
        // The content root is the clone, which holds the private cluster's data directory: watching it for configuration
        // changes would handle every write PostgreSQL makes (docs/decisions/0012-benchmarks-after-the-jit.md). A published
        // JobHub runs in its own folder and keeps the default.
        var app = JobHubApp.Create(["--urls", baseUrl, "--environment", "Production", "--hostBuilder:reloadConfigOnChange", "false"], builder =>
        {
            builder.WebHost.UseStaticWebAssets(); // the pages' scripts and styles from the build output, as published files in a real run
            builder.Configuration["Logging:LogLevel:Default"] = "Warning";
            builder.Configuration["ConnectionStrings:JobHub"] =
                new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
            builder.Configuration["JobHub:PublicBaseUrl"] = baseUrl;
            builder.Configuration["JobHub:StorageRoot"] = storage;
            builder.Configuration["JobHub:WebhookSecret"] = "bench-secret";
            builder.Configuration["JobHub:RateLimits:Enabled"] = "false"; // thousands of requests a second from one address, on purpose
            BenchMetrics.Configure(builder.Configuration);
            foreach (var (key, value) in simulator.JobHubSettings().Concat(settings))
            {
                builder.Configuration[key] = value;
            }
        });
        await JobHubApp.PrepareAsync(app);
        await app.StartAsync();
        return new BenchHost(app, baseUrl, adminConnectionString, database, storage, ownsDatabase: sharedDatabase is null, simulator);
    }

    /// <summary>Users with a granted balance of 100, made in one statement (raw SQL: thousands of them are set up per run).</summary>
    public async Task<Guid[]> CreateUsersAsync(int count)
    {
        await using var db = await Db.CreateDbContextAsync();
        return (await db.Database.SqlQuery<Guid>($"""
            WITH made AS (
                INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, security_stamp, concurrency_stamp, credit_balance)
                SELECT id, id || '@bench.local', upper(id || '@bench.local'), id || '@bench.local', upper(id || '@bench.local'), 's', 'c', 100
                FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, {count})) ids
                RETURNING id)
            INSERT INTO credit_ledger (user_id, kind, amount, balance_after, reason, created_at)
            SELECT id, 'grant', 100, 100, 'bench', now() FROM made
            RETURNING user_id
            """).ToListAsync()).ToArray();
    }

    /// <summary>Jobs RunningHub is running (rows as the launcher leaves them, with their debit), without launching.</summary>
    public async Task<IReadOnlyList<(Guid Id, string TaskId)>> CreateRunningJobsAsync(int count)
    {
        var users = await CreateUsersAsync(count);
        await using var db = await Db.CreateDbContextAsync();
        var jobs = await db.Database.SqlQuery<RunningJob>($"""
            INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, queue_seq, starting_at, started_at, account_key, task_id, webapp_id, updated_at)
            SELECT gen_random_uuid(), u, 'pose-changer', 'running', 3, now(), nextval('jobs_queue_seq'), now(), now(), 'simulator',
                   (2000000000000000000 + nextval('jobs_queue_seq'))::text, '2018451429635133442', now()
            FROM unnest({users}) u
            RETURNING id, task_id
            """).ToListAsync();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
            SELECT user_id, id, 'debit', -3, 97, 'bench', now() FROM jobs WHERE id = ANY({jobs.Select(j => j.Id).ToArray()});
            UPDATE users SET credit_balance = 97 WHERE id = ANY({users});
            """);
        return jobs.Select(j => (j.Id, j.TaskId)).ToList();
    }

    internal sealed record RunningJob(Guid Id, string TaskId);

    public async Task<int> CountAsync(System.Linq.Expressions.Expression<Func<Core.Jobs.Job, bool>> condition)
    {
        await using var db = await Db.CreateDbContextAsync();
        return await db.Set<Core.Jobs.Job>().CountAsync(condition);
    }

    /// <summary>Waits until the completed ones of <paramref name="jobIds"/> have their outputs copied (their Hangfire copy jobs done).</summary>
    public async Task WaitForCopiesAsync(Guid[] jobIds, string? whereToLook = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (await CountAsync(j => jobIds.Contains(j.Id) && j.Status == Core.Jobs.JobStatus.Completed && j.OutputsCopiedAt == null) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the outputs were not copied within 2 minutes{(whereToLook is null ? "" : $" (see {whereToLook})")}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await RunningHub.DisposeAsync();
        if (ownsDatabase)
        {
            await BenchDatabase.DropAsync(adminConnectionString, database, storage);
        }
    }
}
