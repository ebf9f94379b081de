using JobHub.Core;
using JobHub.Core.Credits;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Core.Storage;
using JobHub.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// JobHub.Core wired as in production (the repository's appsettings.json, real PostgreSQL, local storage)
/// on a database of its own, with a fake RunningHub client and a test clock.
/// </summary>
public sealed class EngineHarness : IAsyncDisposable
{
    private readonly string storageRoot;

    private EngineHarness(ServiceProvider services, string database, string storageRoot, FakeRunningHubClient runningHub, TestClock clock)
    {
        Services = services;
        DatabaseName = database;
        this.storageRoot = storageRoot;
        RunningHub = runningHub;
        Clock = clock;
    }

    public ServiceProvider Services { get; }
    public string DatabaseName { get; }

    private bool OwnsDatabase { get; init; }
    public FakeRunningHubClient RunningHub { get; }
    public TestClock Clock { get; }

    public IDbContextFactory<JobHubDbContext> Db => Services.GetRequiredService<IDbContextFactory<JobHubDbContext>>();
    public NpgsqlDataSource DataSource => Services.GetRequiredService<NpgsqlDataSource>();
    public SubmitJob Submit => Services.GetRequiredService<SubmitJob>();
    public FinishJob Finish => Services.GetRequiredService<FinishJob>();
    public CancelJob Cancel => Services.GetRequiredService<CancelJob>();
    public JobLauncher Launcher => Services.GetRequiredService<JobLauncher>();
    public QueueView Queue => Services.GetRequiredService<QueueView>();
    public StoreInput StoreInput => Services.GetRequiredService<StoreInput>();
    public ReconcileJob Reconcile => Services.GetRequiredService<ReconcileJob>();
    public Core.Maintenance.MaintenanceRunner Maintenance => Services.GetRequiredService<Core.Maintenance.MaintenanceRunner>();
    public Core.Maintenance.MaintenanceSchedule Schedule => Services.GetRequiredService<Core.Maintenance.MaintenanceSchedule>();

    private Core.Maintenance.HangfireServer HangfireServer => Services.GetRequiredService<Core.Maintenance.HangfireServer>();

    /// <summary>A job of a new user that RunningHub is running (task id stored).</summary>
    public async Task<Job> RunningJobAsync(int credits = 10, string toolKey = "pose-changer")
    {
        var job = (await SubmitAsync(await CreateUserAsync(credits), toolKey)).Job!;
        await Launcher.WhenIdleAsync();
        var running = await GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Running, running.Status);
        return running;
    }

    public static IConfigurationRoot LoadConfiguration(IDictionary<string, string?>? overrides = null) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
            .Build();

    /// <param name="configure">Services added after JobHub's own (an extra maintenance task, say).</param>
    /// <param name="sharedDatabase">Another harness's database: this one is then a second instance on it (and leaves it to its owner).</param>
    public static async Task<EngineHarness> CreateAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null,
        string? sharedDatabase = null)
    {
        var database = sharedDatabase ?? await TestDatabase.CreateMigratedAsync();
        var storageRoot = Path.Combine(Path.GetTempPath(), "jobhub-tests", Guid.NewGuid().ToString("N"));
        var overrides = new Dictionary<string, string?>(TestRateLimits.Generous)
        {
            ["ConnectionStrings:JobHub"] = TestDatabase.ConnectionStringFor(database) + ";Maximum Pool Size=60",
            ["JobHub:StorageRoot"] = storageRoot,
            ["JobHub:CapacityBackoffBase"] = "00:00:00.050",
            ["JobHub:CapacityBackoffMax"] = "00:00:00.200",
            ["JobHub:WebhookSecret"] = "test-secret",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var configuration = LoadConfiguration(overrides);
        var runningHub = new FakeRunningHubClient();
        var clock = new TestClock();
        var collection = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddJobHubCore(configuration)
            .AddSingleton<IRunningHubClient>(runningHub)
            .AddSingleton<TimeProvider>(clock)
            .AddSingleton<IConfiguration>(configuration);
        configure?.Invoke(collection);
        var services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var harness = new EngineHarness(services, database, storageRoot, runningHub, clock) { OwnsDatabase = sharedDatabase is null };
        await services.GetRequiredService<RunningHubAccounts>().SyncAsync(harness.Db);
        // This harness's Hangfire server (the sweeps run through it); the schedule itself is started only by the tests of it.
        await harness.HangfireServer.StartAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (true) or <paramref name="timeout"/> (20 s) passes (false).</summary>
    public static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    public int MaxConcurrent => Services.GetRequiredService<IOptions<JobHubOptions>>().Value.MaxConcurrent;

    public Task<Guid> CreateUserAsync(int credits = 100) => TestUsers.CreateAsync(Db, credits, Clock.GetUtcNow().UtcDateTime);

    /// <summary>Valid stored inputs for every input of the tool (small PNGs; an MP4 for video).</summary>
    public async Task<IReadOnlyList<StoredInput>> InputsForAsync(string toolKey)
    {
        var tool = Services.GetRequiredService<Core.Tools.ToolCatalog>().Find(toolKey)!;
        var inputs = new List<StoredInput>();
        foreach (var input in tool.Inputs)
        {
            var bytes = input.Kind == "video" ? SampleMedia.Mp4(320, 240, 3) : SampleMedia.Png(16, 12);
            var result = await StoreInput.HandleAsync(toolKey, input.Key, new MemoryStream(bytes), $"{input.Key}.bin", long.MaxValue, CancellationToken.None);
            inputs.Add(result.Input ?? throw new InvalidOperationException(result.ErrorMessage));
        }

        return inputs;
    }

    public async Task<SubmitJobResult> SubmitAsync(Guid userId, string toolKey = "pose-changer", IReadOnlyDictionary<string, string?>? parameters = null) =>
        await Submit.HandleAsync(new SubmitJobRequest(userId, toolKey, await InputsForAsync(toolKey), parameters ?? new Dictionary<string, string?>()));

    public async Task<Job> GetJobAsync(Guid id)
    {
        await using var db = await Db.CreateDbContextAsync();
        return await db.Set<Job>().AsNoTracking().SingleAsync(j => j.Id == id);
    }

    public async Task<int> BalanceAsync(Guid userId) => await CreditLedger.GetBalanceAsync(Db, userId);

    public Task<T> ScalarAsync<T>(FormattableString sql) => Db.ScalarAsync<T>(sql);

    public Task<IReadOnlyList<T>> QueryAsync<T>(FormattableString sql) => Db.QueryListAsync<T>(sql);

    /// <summary>R6 invariants over the whole database: ledger sum = balance; one debit a job; refunds only for failed/cancelled, once.</summary>
    public async Task AssertCreditsConsistentAsync()
    {
        var mismatched = await QueryAsync<Guid>($"""
            SELECT u.id FROM users u LEFT JOIN credit_ledger l ON l.user_id = u.id
            GROUP BY u.id, u.credit_balance HAVING coalesce(sum(l.amount), 0) <> u.credit_balance
            """);
        Assert.Empty(mismatched);
        var badJobs = await QueryAsync<Guid>($"""
            SELECT j.id FROM jobs j
            WHERE (SELECT count(*) FROM credit_ledger l WHERE l.job_id = j.id AND l.kind = 'debit') <> 1
               OR (SELECT count(*) FROM credit_ledger l WHERE l.job_id = j.id AND l.kind = 'refund')
                  <> CASE WHEN j.status IN ('failed', 'cancelled') THEN 1 ELSE 0 END
            """);
        Assert.Empty(badJobs);
    }

    /// <summary>Replays the event log in commit order of slot changes: the most jobs ever in a slot at once.</summary>
    public async Task<int> MaxInSlotFromEventsAsync()
    {
        await using var db = await Db.CreateDbContextAsync();
        var events = await db.Set<JobEventRow>().Where(e => e.Kind == JobEvents.Transition).OrderBy(e => e.Id)
            .Select(e => new { From = e.FromStatus, To = e.ToStatus }).ToListAsync();
        int current = 0, max = 0;
        foreach (var (from, to) in events.Select(e => (e.From, e.To)))
        {
            var wasIn = from is JobStatus.Starting or JobStatus.Running;
            var isIn = to is JobStatus.Starting or JobStatus.Running;
            current += (isIn ? 1 : 0) - (wasIn ? 1 : 0);
            max = Math.Max(max, current);
        }

        return max;
    }

    public async ValueTask DisposeAsync()
    {
        RunningHub.ReleaseHeldStarts();
        await Launcher.WhenIdleAsync();
        await Services.GetRequiredService<CopyOutputs>().WhenIdleAsync();
        await HangfireServer.StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
        if (OwnsDatabase)
        {
            await TestDatabase.DropAsync(DatabaseName);
        }
        try
        {
            Directory.Delete(storageRoot, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
