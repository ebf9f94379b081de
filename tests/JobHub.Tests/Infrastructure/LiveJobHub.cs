using JobHub.Core.Credits;
using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using JobHub.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// JobHub on real Kestrel with a RunningHub simulator of its own (over HTTP, on another port), on a database of its own (so sweeps see only this
/// test's jobs), with helpers to make users and jobs and to wait for conditions with a deadline.
/// </summary>
public sealed class LiveJobHub : IAsyncDisposable
{
    private readonly string database;
    private readonly Dictionary<string, string?> settings;

    private LiveJobHub(KestrelJobHub host, SimulatorHost simulator, string database, Dictionary<string, string?> settings)
    {
        Host = host;
        RunningHub = simulator;
        this.database = database;
        this.settings = settings;
    }

    public KestrelJobHub Host { get; private set; }
    public IServiceProvider Services => Host.Services;
    public Uri BaseAddress => Host.BaseAddress;

    /// <summary>The test's database, for another instance on it.</summary>
    public string ConnectionString => TestDatabase.ConnectionStringFor(database);

    /// <summary>The simulator JobHub talks to; it outlives a restart of JobHub, as RunningHub does.</summary>
    public SimulatorHost RunningHub { get; }
    public SimulatorState Simulator => RunningHub.State;
    public IDbContextFactory<JobHubDbContext> Db => Services.GetRequiredService<IDbContextFactory<JobHubDbContext>>();

    /// <param name="settings">Configuration overrides; the scheduler is off unless a test turns it on.</param>
    public static async Task<LiveJobHub> StartAsync(IDictionary<string, string?>? settings = null, SimulatorSettings? simulator = null)
    {
        var database = await TestDatabase.CreateMigratedAsync();
        var all = new Dictionary<string, string?> { ["JobHub:Maintenance:Enabled"] = "false" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var runningHub = await SimulatorHost.StartAsync(simulator);
        try
        {
            var host = await KestrelJobHub.StartAsync(TestDatabase.ConnectionStringFor(database), all, runningHub);
            return new LiveJobHub(host, runningHub, database, all);
        }
        catch
        {
            await runningHub.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops JobHub and starts it again on the same database and simulator (on another port, as a new process would be).</summary>
    public async Task RestartAsync()
    {
        await Host.DisposeAsync();
        Host = await KestrelJobHub.StartAsync(TestDatabase.ConnectionStringFor(database), settings, RunningHub);
    }

    public Task<Guid> CreateUserAsync(int credits = 10) => TestUsers.CreateAsync(Db, credits, DateTime.UtcNow);

    /// <summary>Confirms a signed-up account's address as its mail's link would (Identity's token), which gives the sign-up grant.</summary>
    public async Task ConfirmEmailAsync(string email)
    {
        using var scope = Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Core.Accounts.JobHubUser>>();
        var user = await users.FindByEmailAsync(email) ?? throw new InvalidOperationException($"no account {email}");
        var result = await users.ConfirmEmailAsync(user, await users.GenerateEmailConfirmationTokenAsync(user));
        Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Description)));
    }

    /// <summary>Submits a pose-changer job (3 credits) with freshly stored inputs.</summary>
    public Task<Job> SubmitAsync(Guid userId, string toolKey = "pose-changer") => SubmitAsync(userId, toolKey, new Dictionary<string, string?>());

    /// <summary>Submits a job of <paramref name="toolKey"/> with these parameters and freshly stored inputs; throws when refused.</summary>
    public async Task<Job> SubmitAsync(Guid userId, string toolKey, IReadOnlyDictionary<string, string?> parameters, byte[]? image = null)
    {
        var store = Services.GetRequiredService<StoreInput>();
        var tool = Services.GetRequiredService<Core.Tools.ToolCatalog>().Find(toolKey)!;
        var inputs = new List<StoredInput>();
        var shade = 0;
        foreach (var input in tool.Inputs)
        {
            var bytes = input.Kind == "video" ? SampleMedia.Mp4(320, 240, 3) : image ?? SampleMedia.Png(40, 30, ++shade);
            var stored = await store.HandleAsync(toolKey, input.Key, new MemoryStream(bytes), $"{input.Key}.png", long.MaxValue, default);
            inputs.Add(stored.Input ?? throw new InvalidOperationException(stored.ErrorMessage));
        }

        var result = await Services.GetRequiredService<SubmitJob>().HandleAsync(new SubmitJobRequest(userId, toolKey, inputs, parameters));
        return result.Job ?? throw new InvalidOperationException(result.ErrorMessage);
    }

    /// <summary>
    /// Finished jobs of a new user, one every three hours back from now: every tool, completed, failed (with RunningHub's
    /// error) and cancelled, with run times and costs, as the admin dashboard's figures and charts show them.
    /// </summary>
    public async Task<int> SeedFinishedJobsAsync(int count = 40)
    {
        var user = await CreateUserAsync();
        return await ScalarAsync<int>($"""
            WITH seeded AS (
                INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, queue_seq, started_at, completed_at, cost_money,
                                  error_code, error_message, provider_code, provider_message, updated_at)
                SELECT gen_random_uuid(), {user}, (ARRAY['image-upscaler', 'video-upscaler', 'pose-changer', 'virtual-try-on'])[1 + g % 4], s.status, 3,
                       now() - make_interval(hours => g * 3), nextval('jobs_queue_seq'),
                       now() - make_interval(hours => g * 3), now() - make_interval(hours => g * 3) + make_interval(secs => 20 + g * 7),
                       round((0.01 * (g % 9 + 1))::numeric, 4),
                       CASE s.status WHEN 'failed' THEN 'RUNNINGHUB_ERROR' WHEN 'cancelled' THEN 'CANCELLED_BY_USER' END,
                       CASE s.status WHEN 'failed' THEN 'CUDA out of memory' WHEN 'cancelled' THEN 'Cancelled by its owner' END,
                       CASE s.status WHEN 'failed' THEN '805' END, CASE s.status WHEN 'failed' THEN 'CUDA out of memory' END, now()
                FROM generate_series(1, {count}) g,
                     LATERAL (SELECT (ARRAY['completed', 'completed', 'completed', 'failed', 'cancelled'])[1 + g % 5] AS status) s
                RETURNING 1)
            SELECT count(*)::int FROM seeded
            """);
    }

    public async Task<Job> GetJobAsync(Guid id)
    {
        await using var db = await Db.CreateDbContextAsync();
        return await db.Set<Job>().AsNoTracking().SingleAsync(j => j.Id == id);
    }

    public Task<T> ScalarAsync<T>(FormattableString sql) => Db.ScalarAsync<T>(sql);

    public Task<IReadOnlyList<T>> QueryAsync<T>(FormattableString sql) => Db.QueryListAsync<T>(sql);

    public Task<int> BalanceAsync(Guid userId) => CreditLedger.GetBalanceAsync(Db, userId);

    /// <summary>Polls the job until <paramref name="done"/> holds or the deadline passes; returns its last state.</summary>
    public async Task<Job> WaitForJobAsync(Guid id, Func<Job, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var job = await GetJobAsync(id);
            if (done(job) || DateTime.UtcNow > deadline)
            {
                return job;
            }

            await Task.Delay(50);
        }
    }

    public Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null) => EngineHarness.WaitUntilAsync(condition, timeout);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await RunningHub.DisposeAsync();
        await TestDatabase.DropAsync(database);
    }
}
