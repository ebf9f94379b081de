using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using JobHub.Core;
using JobHub.Core.Credits;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobHub.Bench;

/// <summary>
/// Submit latency (1 and 50 concurrent submitters) and promotion latency (slot freed → next launch begun),
/// on JobHub.Core against a real PostgreSQL database of its own. RunningHub answers instantly here, so the
/// figures are JobHub's own cost.
/// </summary>
public static class EngineBenchmark
{
    private static readonly TimeSpan ReferenceTime = TimeSpan.FromSeconds(10);

    public static async Task<BenchResult> RunAsync(string adminConnectionString)
    {
        var database = $"jobhub_bench_{Guid.NewGuid():N}"[..30];
        await BenchDatabase.ExecuteAsync(adminConnectionString, $"CREATE DATABASE \"{database}\"");
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
            var storage = Path.Combine(Path.GetTempPath(), "jobhub-bench", database);
            var configuration = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"))
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["ConnectionStrings:JobHub"] = connectionString,
                    ["JobHub:StorageRoot"] = storage,
                    ["JobHub:WebhookSecret"] = "bench",
                })
                .Build();
            var runningHub = new InstantRunningHub();
            var collection = new ServiceCollection()
                .AddLogging(l => l.SetMinimumLevel(LogLevel.Warning))
                .AddSingleton<IConfiguration>(configuration)
                .AddJobHubCore(configuration)
                .AddSingleton<IRunningHubClient>(runningHub);
            BenchMetrics.Add(collection);
            await using var services = collection.BuildServiceProvider();
            BenchMetrics.Start(services);
            var contexts = services.GetRequiredService<IDbContextFactory<JobHubDbContext>>();
            await services.GetRequiredService<DatabaseMigrations>().MigrateAsync();
            await services.GetRequiredService<RunningHubAccounts>().SyncAsync(contexts);

            var bench = new Context(services, contexts, runningHub);
            var inputs = await bench.InputsAsync();
            // Warm-up, not measured: the same runs until the JIT is done with them (Warmup), EF Core's query compilation and
            // model, the connection pool.
            var warmup = await Warmup.UntilJitSettlesAsync("submits", async () => (await MeasureAsync(bench, inputs, ""))[1].PerSecond!.Value);
            var template = await bench.AnyJobAsync();

            // The same figures on an empty database, with 10,000 jobs queued and with a year of history.
            await BenchData.AnalyzeAsync(connectionString); // as autovacuum keeps a database, as the grown states are measured
            var empty = await MeasureAsync(bench, inputs, "");
            var seededQueue = await BenchData.SeedQueueAsync(connectionString, template);
            await bench.ResetAsync(); // fills the slots from the seeded queue, as the sweep would
            var queued = await MeasureAsync(bench, inputs, $" [{BenchData.QueuedJobs:N0} queued]");
            queued.Add(await PositionReadAsync(bench, reads: 500));
            await bench.ResetAsync(keepQueue: false);
            var seededHistory = await BenchData.SeedHistoryAsync(connectionString);
            var history = await MeasureAsync(bench, inputs, $" [{BenchData.HistoryJobs:N0} in history]");
            Directory.Delete(storage, recursive: true);
            // After JobHub's figures, never beside them: the reference has the cluster to itself, as JobHub had.
            var (one, fifty) = (empty[0], empty[1]);
            return new BenchResult([.. empty, .. queued, .. history],
            [
                "",
                warmup,
                .. Growth.Table(empty, [(BenchData.QueuedJobs.ToString("N0", CultureInfo.InvariantCulture) + " queued", queued, seededQueue),
                    (BenchData.HistoryJobs.ToString("N0", CultureInfo.InvariantCulture) + " in history", history, seededHistory)]),
                .. PgReference.Table(
                [
                    ("submit, 1 submitter", one.PerSecond!.Value, await PgReference.RunAsync(adminConnectionString, PgReference.Admission, 1, ReferenceTime)),
                    ("submit, 50 concurrent submitters", fifty.PerSecond!.Value, await PgReference.RunAsync(adminConnectionString, PgReference.Admission, 50, ReferenceTime)),
                ]),
            ]);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await BenchDatabase.ExecuteAsync(adminConnectionString, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
    }

    /// <summary>Submit latency at 1 and 50 submitters and promotion latency, on the database as it is (<paramref name="state"/> names it).</summary>
    private static async Task<List<Figure>> MeasureAsync(Context bench, IReadOnlyList<StoredInput> inputs, string state)
    {
        var figures = new List<Figure>();
        figures.Add(Named(await SubmitLatencyAsync(bench, inputs, submitters: 1, perSubmitter: 300), state));
        await bench.ResetAsync();
        figures.Add(Named(await SubmitLatencyAsync(bench, inputs, submitters: 50, perSubmitter: 20), state));
        await bench.ResetAsync();
        figures.Add(Named(await PromotionLatencyAsync(bench, inputs, rounds: 1000), state));
        await bench.ResetAsync();
        return figures;
    }

    private static Figure Named(Figure figure, string state) => figure with { Name = figure.Name + state };

    /// <summary>
    /// A queued job's place, as its page reads it (<see cref="QueueView.PositionAsync"/>), for jobs anywhere in the queue;
    /// and the read the live positions make for every page showing a queued job (<see cref="QueueView.PositionsAsync"/>, 50 jobs).
    /// </summary>
    private static async Task<Figure> PositionReadAsync(Context bench, int reads)
    {
        var queue = bench.Services.GetRequiredService<QueueView>();
        var queued = await bench.QueuedAsync();
        var random = new Random(18);
        var samples = new List<double>();
        for (var i = 0; i < reads; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var position = await queue.PositionAsync(queued[random.Next(queued.Count)]);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (position is null)
            {
                throw new InvalidOperationException("a queued job has no position");
            }
        }

        var watched = new List<double>();
        for (var i = 0; i < 100; i++)
        {
            var jobs = Enumerable.Range(0, 50).Select(_ => queued[random.Next(queued.Count)]).ToArray();
            var started = Stopwatch.GetTimestamp();
            await queue.PositionsAsync(jobs);
            watched.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var feed = Figure.From("", watched, null);
        return Figure.From(string.Create(CultureInfo.InvariantCulture,
            $"queue position read, one job anywhere in a queue of {queued.Count:N0} ({reads} reads; the live feed's read of 50 watched jobs: p50 {feed.P50:0.0} ms, p99 {feed.P99:0.0} ms)"),
            samples, targetP99: 10);
    }

    private static async Task<Figure> SubmitLatencyAsync(Context bench, IReadOnlyList<StoredInput> inputs, int submitters, int perSubmitter)
    {
        var users = await bench.UsersAsync(submitters * perSubmitter);
        var submit = bench.Services.GetRequiredService<SubmitJob>();
        var samples = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, submitters).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < perSubmitter; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var result = await submit.HandleAsync(new SubmitJobRequest(users[(s * perSubmitter) + i], "pose-changer", inputs, new Dictionary<string, string?>()));
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException(result.ErrorMessage);
                }
            }
        })));
        var elapsed = clock.Elapsed;
        await bench.Services.GetRequiredService<JobLauncher>().WhenIdleAsync();
        return Figure.From($"submit latency, {submitters} concurrent submitter{(submitters == 1 ? "" : "s")} ({samples.Count} jobs, {samples.Count / elapsed.TotalSeconds:0} submits/s)",
            samples, targetP99: submitters == 1 ? 25 : 100) with { PerSecond = samples.Count / elapsed.TotalSeconds };
    }

    private static async Task<Figure> PromotionLatencyAsync(Context bench, IReadOnlyList<StoredInput> inputs, int rounds)
    {
        var users = await bench.UsersAsync(rounds + 3);
        var submit = bench.Services.GetRequiredService<SubmitJob>();
        var finish = bench.Services.GetRequiredService<FinishJob>();
        var launcher = bench.Services.GetRequiredService<JobLauncher>();
        for (var i = 0; i < 3; i++)
        {
            await submit.HandleAsync(new SubmitJobRequest(users[i], "pose-changer", inputs, new Dictionary<string, string?>()));
        }

        // With a queue ahead of them these three wait too: the slots are filled from its head, as the sweep would.
        await launcher.PromoteAsync(JobCause.Sweep);
        await launcher.WhenIdleAsync();
        var samples = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            await submit.HandleAsync(new SubmitJobRequest(users[round + 3], "pose-changer", inputs, new Dictionary<string, string?>()));
            var oldestRunning = await bench.OldestRunningAsync();
            var launchBegun = bench.RunningHub.NextUpload();
            var started = Stopwatch.GetTimestamp();
            await finish.CompleteAsync(oldestRunning, [], null, JobCause.Webhook);
            await launchBegun;
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await launcher.WhenIdleAsync();
        }

        return Figure.From($"promotion latency, slot freed → next launch begun ({rounds} promotions)", samples, targetP99: 50);
    }

    private sealed class Context(IServiceProvider services, IDbContextFactory<JobHubDbContext> contexts, InstantRunningHub runningHub)
    {
        public IServiceProvider Services => services;
        public InstantRunningHub RunningHub => runningHub;

        public async Task<IReadOnlyList<StoredInput>> InputsAsync()
        {
            var store = services.GetRequiredService<StoreInput>();
            var person = await store.HandleAsync("pose-changer", "person", new MemoryStream(SampleMedia.Png(64, 64)), "p.png", long.MaxValue, default);
            var pose = await store.HandleAsync("pose-changer", "pose", new MemoryStream(SampleMedia.Png(64, 64, 1)), "q.png", long.MaxValue, default);
            return [person.Input!, pose.Input!];
        }

        public async Task<Guid[]> UsersAsync(int count)
        {
            var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
            foreach (var id in ids)
            {
                await using var db = await contexts.CreateDbContextAsync();
                await using var transaction = await db.Database.BeginTransactionAsync();
                var email = $"{id:N}@bench.local";
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, security_stamp, concurrency_stamp)
                    VALUES ({id}, {email}, upper({email}), {email}, upper({email}), 's', 'c')
                    """);
                await CreditLedger.AddAsync(db, id, LedgerKinds.Grant, 100, "bench", null, DateTime.UtcNow);
                await transaction.CommitAsync();
            }

            return ids;
        }

        public async Task<Guid> OldestRunningAsync()
        {
            await using var db = await contexts.CreateDbContextAsync();
            return await db.Set<Job>().Where(j => j.Status == JobStatus.Running).OrderBy(j => j.StartedAt).Select(j => j.Id).FirstAsync();
        }

        /// <summary>
        /// Ends every job a figure made, so the next one starts as the last did: with free slots and an empty queue, or, with
        /// a seeded queue (<paramref name="keepQueue"/>), with the seeded jobs still queued and the slots filled from its head.
        /// </summary>
        public async Task ResetAsync(bool keepQueue = true)
        {
            var launcher = services.GetRequiredService<JobLauncher>();
            await launcher.WhenIdleAsync();
            var seeded = DateTime.UtcNow - (BenchData.QueuedBefore / 2);
            await using (var db = await contexts.CreateDbContextAsync())
            {
                await db.Set<Job>().Where(j => JobStatus.Active.Contains(j.Status) && !(keepQueue && j.Status == JobStatus.Queued && j.CreatedAt < seeded))
                    .ExecuteUpdateAsync(set => set.SetProperty(j => j.Status, JobStatus.Cancelled).SetProperty(j => j.CompletedAt, DateTime.UtcNow));
            }

            await launcher.PromoteAsync(JobCause.Sweep);
            await launcher.WhenIdleAsync();
        }

        /// <summary>A job a figure made, the model of the seeded queue's jobs.</summary>
        public async Task<Guid> AnyJobAsync()
        {
            await using var db = await contexts.CreateDbContextAsync();
            return await db.Set<Job>().Select(j => j.Id).FirstAsync();
        }

        public async Task<List<Guid>> QueuedAsync()
        {
            await using var db = await contexts.CreateDbContextAsync();
            return await db.Set<Job>().Where(j => j.Status == JobStatus.Queued).Select(j => j.Id).ToListAsync();
        }
    }

    /// <summary>RunningHub answering at once; tells when the next upload (a launch beginning) happens.</summary>
    private sealed class InstantRunningHub : IRunningHubClient
    {
        private long task = 1_000_000_000_000_000_000;
        private TaskCompletionSource? nextUpload;

        public Task NextUpload()
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref nextUpload, signal);
            return signal.Task;
        }

        public Task<UploadResult> UploadAsync(RunningHubAccount account, Stream content, string fileName, string contentType, CancellationToken cancellationToken)
        {
            Interlocked.Exchange(ref nextUpload, null)?.TrySetResult();
            return Task.FromResult(new UploadResult(CallOutcome.Success, "openapi/" + fileName));
        }

        public Task<StartResult> StartAsync(RunningHubAccount account, StartRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new StartResult(CallOutcome.Success, Interlocked.Increment(ref task).ToString()));

        public Task<TaskQueryResult> QueryAsync(RunningHubAccount account, string taskId, CancellationToken cancellationToken) =>
            Task.FromResult(new TaskQueryResult(CallOutcome.Success, RemoteTaskStatus.Running, [], null));

        public Task<CallResult> CancelAsync(RunningHubAccount account, string taskId, CancellationToken cancellationToken) =>
            Task.FromResult(new CallResult(CallOutcome.Success));

        public Task<AccountStatusResult> GetAccountStatusAsync(RunningHubAccount account, CancellationToken cancellationToken) =>
            Task.FromResult(new AccountStatusResult(CallOutcome.Success, 0, 0, 0, "USD"));
    }
}
