using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hangfire;
using Hangfire.States;
using JobHub.Core.Jobs;
using JobHub.Core.RunningHub;
using JobHub.Core.Webhooks;
using JobHub.Simulator;
using JobHub.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobHub.Bench;

/// <summary>
/// The webhook endpoint on real Kestrel over HTTP: TASK_END deliveries for running jobs from concurrent senders (half
/// successes, whose outputs are copied; half failures, which refund), a lost webhook's end through the reconcile sweep,
/// and how soon a copy one instance enqueued is started by another.
/// </summary>
public static class WebhookBenchmark
{
    /// <param name="webExecutable">The published web app, for the copy pick-up figure's second instance (skipped without it).</param>
    public static async Task<BenchResult> RunAsync(string adminConnectionString, string? webExecutable)
    {
        var figures = new List<Figure>();
        IReadOnlyList<string> growth;
        string warmup;
        await using (var host = await BenchHost.StartAsync(adminConnectionString, new Dictionary<string, string?>
        {
            ["JobHub:Maintenance:Enabled"] = "false",
        }))
        {
            // Warm-up, not measured: the same runs until the JIT is done with them (Warmup), the connection pools and the
            // planner's statistics.
            warmup = await Warmup.UntilJitSettlesAsync("deliveries", async () => (await MeasureAsync(host, ""))[1].PerSecond!.Value);
            // The same deliveries on an empty database, with 10,000 jobs queued and with a year of history.
            await BenchData.AnalyzeAsync(host.ConnectionString); // as autovacuum keeps a database, as the grown states are measured
            var empty = await MeasureAsync(host, "");
            var template = (await host.CreateRunningJobsAsync(1))[0].Id;
            var seededQueue = await BenchData.SeedQueueAsync(host.ConnectionString, template);
            await using (var db = await host.Db.CreateDbContextAsync())
            {
                // The head backs off: the slots a figure's last deliveries free are not refilled with jobs this run would launch.
                await db.Database.ExecuteSqlAsync($"""
                    UPDATE jobs SET next_attempt_at = now() + interval '1 day'
                    WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY queued_at, queue_seq LIMIT 1)
                    """);
            }

            var queued = await MeasureAsync(host, $" [{BenchData.QueuedJobs:N0} queued]");
            await using (var db = await host.Db.CreateDbContextAsync())
            {
                await db.Database.ExecuteSqlAsync($"UPDATE jobs SET status = 'cancelled', completed_at = now() WHERE status IN ('queued', 'running')");
            }

            var seededHistory = await BenchData.SeedHistoryAsync(host.ConnectionString);
            var history = await MeasureAsync(host, $" [{BenchData.HistoryJobs:N0} in history]");
            figures.AddRange([.. empty, .. queued, .. history]);
            growth = Growth.Table(empty, [(BenchData.QueuedJobs.ToString("N0", CultureInfo.InvariantCulture) + " queued", queued, seededQueue),
                (BenchData.HistoryJobs.ToString("N0", CultureInfo.InvariantCulture) + " in history", history, seededHistory)]);
        }

        var (one, fifty) = (figures[0], figures[1]);

        await using (var host = await BenchHost.StartAsync(adminConnectionString, new Dictionary<string, string?>
        {
            ["JobHub:Maintenance:Enabled"] = "true",
            ["JobHub:Maintenance:Intervals:reconcile-running"] = "00:00:02",
            ["JobHub:Tools:pose-changer:ReconcileAfter"] = "00:00:05",
        }))
        {
            figures.Add(await LostWebhookAsync(host, jobs: 12));
        }

        if (webExecutable is not null)
        {
            figures.Add(await CopyPickUpAsync(adminConnectionString, webExecutable));
        }

        // After JobHub's figures, never beside them: the reference has the cluster to itself, as JobHub had.
        var time = TimeSpan.FromSeconds(10);
        return new BenchResult(figures,
        [
            "",
            warmup,
            .. growth,
            .. PgReference.Table(
            [
                ("webhook, 1 sender", one.PerSecond!.Value, await PgReference.RunAsync(adminConnectionString, PgReference.Webhook, 1, time)),
                ("webhook, 50 concurrent senders", fifty.PerSecond!.Value, await PgReference.RunAsync(adminConnectionString, PgReference.Webhook, 50, time)),
            ]),
        ]);
    }

    private static async Task<List<Figure>> MeasureAsync(BenchHost host, string state) =>
    [
        Named(await DeliveriesAsync(host, jobs: 1000, senders: 1), state),
        Named(await DeliveriesAsync(host, jobs: 2000, senders: 50), state),
    ];

    private static Figure Named(Figure figure, string state) => figure with { Name = figure.Name + state };

    private static async Task<Figure> DeliveriesAsync(BenchHost host, int jobs, int senders)
    {
        var running = await host.CreateRunningJobsAsync(jobs);
        var requests = await TaskEndsAsync(host, running, failEvery: 2);

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = senders });
        var samples = new ConcurrentBag<double>();
        var next = -1;
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests.Count)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync(requests[index].Url, new StringContent(requests[index].Body, Encoding.UTF8, "application/json"));
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        var elapsed = clock.Elapsed;
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} webhook deliveries were refused");
        }

        var ids = running.Select(r => r.Id).ToArray();
        var ended = await host.CountAsync(j => ids.Contains(j.Id) && (j.Status == JobStatus.Completed || j.Status == JobStatus.Failed));
        if (ended != running.Count)
        {
            throw new InvalidOperationException($"only {ended} of {running.Count} jobs ended");
        }

        // The successes' copies (Hangfire jobs) end before the next figure starts.
        await host.WaitForCopiesAsync(ids);
        return Figure.From($"webhook latency, {jobs} deliveries from {senders} concurrent senders ({jobs / elapsed.TotalSeconds:0} deliveries/s; target ≥ 1,000/s)",
            samples, targetP99: senders == 1 ? 10 : 50) with { PerSecond = jobs / elapsed.TotalSeconds };
    }

    /// <summary>
    /// The TASK_END deliveries for <paramref name="running"/>: successes with a 256×256 PNG result, every
    /// <paramref name="failEvery"/>-th one (if any) a failure.
    /// </summary>
    private static async Task<List<(string Url, string Body)>> TaskEndsAsync(BenchHost host, IReadOnlyList<(Guid Id, string TaskId)> running, int? failEvery)
    {
        var output = host.Simulator.StoreFile(SampleMedia.Png(256, 256), ".png");
        var tokens = host.App.Services.GetRequiredService<WebhookTokens>();
        var requests = new List<(string Url, string Body)>();
        for (var i = 0; i < running.Count; i++)
        {
            var (id, taskId) = running[i];
            var eventData = failEvery is not { } every || i % every == 0
                ? JsonSerializer.Serialize(new { code = 0, msg = "success", data = new[] { new { fileUrl = $"{host.Simulator.FilesBaseUrl}/{output}", fileType = "png", taskCostTime = "12", nodeId = "9" } } })
                : JsonSerializer.Serialize(new { code = 805, msg = "CUDA out of memory", data = new { failedReason = new { exception_message = "CUDA out of memory" } } });
            requests.Add(($"{host.BaseUrl}/api/webhooks/runninghub/{id}?token={await tokens.CreateTokenAsync(id)}",
                JsonSerializer.Serialize(new { @event = "TASK_END", taskId, eventData })));
        }

        return requests;
    }

    /// <summary>
    /// Two instances on one database: this process completes jobs and enqueues their copies; a second JobHub process takes
    /// them by Hangfire's polling, timed from Hangfire's record (enqueued → processing). In one process Hangfire.PostgreSql
    /// wakes its workers at the enqueue, so only another process shows what the poll gives.
    /// </summary>
    public static async Task<Figure> CopyPickUpAsync(string adminConnectionString, string webExecutable, int jobs = 200)
    {
        await using var enqueuing = await BenchHost.StartAsync(adminConnectionString, new Dictionary<string, string?>
        {
            ["JobHub:Maintenance:Enabled"] = "false",
            ["JobHub:Maintenance:OutputCopyWorkers"] = "0",
        });
        var copyingUrl = new Uri($"http://127.0.0.1:{Load.JobHubProcess.FreePort()}/");
        var log = Path.Combine(Path.GetTempPath(), "jobhub-bench", $"{enqueuing.Database}-copying.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        await using var copying = new Load.JobHubProcess(webExecutable, copyingUrl, new Dictionary<string, string?>
        {
            ["ConnectionStrings:JobHub"] = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = enqueuing.Database }.ConnectionString,
            ["JobHub:PublicBaseUrl"] = copyingUrl.ToString().TrimEnd('/'),
            ["JobHub:StorageRoot"] = enqueuing.Storage,
            ["JobHub:WebhookSecret"] = "bench-secret",
            ["JobHub:SeedDemoUsers"] = "false",
            ["JobHub:Maintenance:Enabled"] = "false",
            ["JobHub:RunningHub:Simulator:BaseUrl"] = enqueuing.RunningHub.BaseUrl,
            ["JobHub:RunningHub:Simulator:ApiKey"] = enqueuing.RunningHub.ApiKey,
            ["Logging:LogLevel:Default"] = "Warning",
        }, log);
        await copying.StartAsync();
        var running = await enqueuing.CreateRunningJobsAsync(jobs);
        var requests = await TaskEndsAsync(enqueuing, running, failEvery: null);
        using var http = new HttpClient();
        foreach (var (url, body) in requests)
        {
            using var response = await http.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
            response.EnsureSuccessStatusCode();
            await Task.Delay(20);
        }

        var ids = running.Select(r => r.Id).ToArray();
        await enqueuing.WaitForCopiesAsync(ids, log);

        List<(DateTime CompletedAt, string CopyJob)> copies;
        await using (var db = await enqueuing.Db.CreateDbContextAsync())
        {
            copies = (await db.Set<Job>().Where(j => ids.Contains(j.Id)).Select(j => new { j.CompletedAt, j.OutputCopyJobId }).ToListAsync())
                .Select(j => (j.CompletedAt!.Value, j.OutputCopyJobId!)).ToList();
        }

        // From the job's completion (so the batch window is in the figure) to its copy job's start on the other process.
        var monitoring = enqueuing.App.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        var started = copies.Select(c => c.CopyJob).Distinct().ToDictionary(id => id,
            id => monitoring.JobDetails(id).History.Where(h => h.StateName == ProcessingState.StateName).Min(h => h.CreatedAt));
        var samples = copies.Select(c => (started[c.CopyJob] - c.CompletedAt).TotalMilliseconds).ToList();
        return Figure.From($"output copy: job completed on one instance → its copy started by another process ({jobs} copies in {started.Count} Hangfire jobs, " +
            "one completion each 20 ms; batch window 100 ms, copy workers poll every 200 ms)", samples, targetP99: 500);
    }

    /// <summary>Each job's webhook is lost; the reconcile sweep (every 2 s, after 5 s) must end it. Measured: task end at RunningHub → job terminal.</summary>
    private static async Task<Figure> LostWebhookAsync(BenchHost host, int jobs)
    {
        host.Simulator.Settings = new SimulatorSettings
        {
            WebhookLostRate = 1,
            QueuedFor = TimeSpan.FromMilliseconds(200),
            RunFor = TimeSpan.FromSeconds(1),
            ConcurrencyPerKey = 100,
        };
        var submit = host.App.Services.GetRequiredService<SubmitJob>();
        var store = host.App.Services.GetRequiredService<StoreInput>();
        var person = (await store.HandleAsync("pose-changer", "person", new MemoryStream(SampleMedia.Png(64, 64)), "p.png", long.MaxValue, default)).Input!;
        var pose = (await store.HandleAsync("pose-changer", "pose", new MemoryStream(SampleMedia.Png(64, 64, 1)), "q.png", long.MaxValue, default)).Input!;
        var users = await host.CreateUsersAsync(jobs);
        var submitted = new List<Guid>();
        foreach (var user in users)
        {
            // Spread over the sweep's interval, so the figure covers the whole range of waits.
            var result = await submit.HandleAsync(new SubmitJobRequest(user, "pose-changer", [person, pose], new Dictionary<string, string?>()));
            submitted.Add(result.Job!.Id);
            await Task.Delay(TimeSpan.FromMilliseconds(2000.0 / 3));
            while (await host.CountAsync(j => JobStatus.Active.Contains(j.Status)) >= 3)
            {
                await Task.Delay(100);
            }
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (await host.CountAsync(j => submitted.Contains(j.Id) && j.CompletedAt == null) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("lost-webhook jobs did not end within 2 minutes");
            }

            await Task.Delay(100);
        }

        var ends = host.Simulator.Tasks.ToDictionary(t => t.TaskId, t => t.EndedAt!.Value.UtcDateTime);
        await using var db = await host.Db.CreateDbContextAsync();
        var rows = await db.Set<Job>().Where(j => submitted.Contains(j.Id)).Select(j => new { j.TaskId, j.CompletedAt }).ToListAsync();
        var samples = rows.Select(r => (r.CompletedAt!.Value - ends[r.TaskId!]).TotalMilliseconds);
        return Figure.From($"lost webhook: task ended → job terminal by the sweep ({jobs} jobs; ReconcileAfter 5 s, sweep every 2 s, so at most ~6 s after a 1 s task)",
            samples, targetP99: null);
    }
}
