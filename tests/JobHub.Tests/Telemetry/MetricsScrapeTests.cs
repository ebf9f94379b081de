using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using JobHub.Core.Jobs;
using JobHub.Core.Telemetry;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Telemetry;

/// <summary>
/// The engine's metrics as an operator reads them: the Prometheus scrape on the metrics port, over HTTP, after a known
/// workload on real PostgreSQL and the simulator; and nothing of it on the public port.
/// </summary>
public sealed class MetricsScrapeTests : IAsyncLifetime
{
    private const string Tool = "tool=pose-changer";
    private readonly int metricsPort = KestrelJobHub.FreePort();
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private LiveJobHub hub = null!;

    private Uri Scrape => new($"http://127.0.0.1:{metricsPort}/metrics");

    public async Task InitializeAsync() => hub = await LiveJobHub.StartAsync(
        new Dictionary<string, string?> { ["JobHub:Telemetry:MetricsPort"] = metricsPort.ToString(CultureInfo.InvariantCulture) },
        new SimulatorSettings { RunFor = TimeSpan.FromSeconds(3) });

    public async Task DisposeAsync()
    {
        http.Dispose();
        await hub.DisposeAsync();
    }

    [Fact]
    public async Task Scrape_CountsAKnownWorkload()
    {
        // Three jobs take the three slots, two more wait, one is refused for its balance.
        var running = new List<Job>();
        for (var i = 0; i < 3; i++)
        {
            running.Add(await hub.SubmitAsync(await hub.CreateUserAsync()));
        }

        var next = await hub.SubmitAsync(await hub.CreateUserAsync());
        var waiting = await hub.SubmitAsync(await hub.CreateUserAsync());
        Assert.Equal((JobStatus.Queued, JobStatus.Queued), (next.Status, waiting.Status));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await hub.SubmitAsync(await hub.CreateUserAsync(credits: 0)));

        var busy = await PrometheusText.ReadAsync(http, Scrape);
        Assert.Equal(3, busy.Sum("jobhub_slots_limit"));
        Assert.Equal(3, busy.Sum("jobhub_slots_used"));
        Assert.Equal(2, busy.Sum("jobhub_queue_length"));
        Assert.True(busy.Has("jobhub_queue_oldest_wait_seconds"), busy.Text);

        // The last one is cancelled by its owner while it waits; the three complete by webhook, and the first waiting one
        // takes a freed slot and completes too.
        await hub.Services.GetRequiredService<CancelJob>().HandleAsync(
            new CancelJobRequest(waiting.Id, waiting.UserId, JobCause.User, JobErrorCodes.CancelledByUser, "changed my mind"));
        foreach (var job in running.Append(next))
        {
            Assert.Equal(JobStatus.Completed, (await hub.WaitForJobAsync(job.Id, j => j.Status == JobStatus.Completed)).Status);
        }

        // One fails at RunningHub (told by webhook); one ends with its webhook lost, and is reconciled.
        hub.Simulator.Settings = new SimulatorSettings { RunFor = TimeSpan.FromSeconds(1), FailureRate = 1 };
        var failing = await hub.SubmitAsync(await hub.CreateUserAsync());
        Assert.Equal(JobStatus.Failed, (await hub.WaitForJobAsync(failing.Id, j => j.Status == JobStatus.Failed)).Status);

        hub.Simulator.Settings = new SimulatorSettings { RunFor = TimeSpan.FromSeconds(1), WebhookLostRate = 1 };
        var lost = await hub.SubmitAsync(await hub.CreateUserAsync());
        var started = await hub.WaitForJobAsync(lost.Id, j => j.TaskId is not null);
        Assert.True(await hub.WaitUntilAsync(() => Task.FromResult(hub.Simulator.Find(started.TaskId)?.Status == SimTaskStatus.Success)));
        var reconciled = await hub.Services.GetRequiredService<ReconcileJob>().HandleAsync(lost.Id, JobCause.Reconcile);
        Assert.Equal(ReconcileOutcome.Finished, reconciled.Outcome);

        // The five completed jobs' outputs are copied (Hangfire, after the answer): the scrape is read once they are.
        PrometheusText? done = null;
        Assert.True(await hub.WaitUntilAsync(async () =>
            (done = await PrometheusText.ReadAsync(http, Scrape)).Sum("jobhub_outputs_copies_total", "outcome=copied") >= 5, TimeSpan.FromSeconds(60)),
            done?.Text);
        var m = done!;

        Assert.Equal(7, m.Sum("jobhub_jobs_submitted_total", Tool, "outcome=accepted"));
        Assert.Equal(1, m.Sum("jobhub_jobs_submitted_total", Tool, "outcome=" + SubmitErrors.InsufficientCredits));
        Assert.Equal(5, m.Sum("jobhub_jobs_admitted_total", Tool, "from=submit"));
        Assert.Equal(1, m.Sum("jobhub_jobs_admitted_total", Tool, "from=queue"));
        Assert.Equal(2, m.Sum("jobhub_jobs_queued_total", Tool, "reason=busy"));
        Assert.Equal(6, m.Sum("jobhub_jobs_started_total", Tool));
        Assert.Equal(4, m.Sum("jobhub_jobs_completed_total", Tool, "cause=webhook"));
        Assert.Equal(1, m.Sum("jobhub_jobs_completed_total", Tool, "cause=reconcile"));
        Assert.Equal(1, m.Sum("jobhub_jobs_failed_total", Tool, "code=" + JobErrorCodes.RunningHubError));
        Assert.Equal(1, m.Sum("jobhub_jobs_cancelled_total", Tool, "cause=user", "code=" + JobErrorCodes.CancelledByUser));
        Assert.Equal(1, m.Sum("jobhub_jobs_reconciled_total", Tool, "status=completed"));
        Assert.Equal(2, m.Sum("jobhub_credits_refunds_total", Tool));
        Assert.Equal(5, m.Sum("jobhub_webhook_deliveries_total", "outcome=finished"));
        Assert.Equal(5, m.Sum("jobhub_outputs_copies_total", "outcome=copied"));

        // Histograms: one observation per job that reached the point measured.
        Assert.Equal(6, m.Sum("jobhub_job_queue_wait_seconds_count", Tool));
        Assert.True(m.Sum("jobhub_job_queue_wait_seconds_sum", Tool) >= 2, "the promoted job waited for a slot to free");
        Assert.Equal(6, m.Sum("jobhub_job_launch_duration_seconds_count", Tool));
        Assert.Equal(6, m.Sum("jobhub_job_run_duration_seconds_count", Tool));
        Assert.Equal(5, m.Sum("jobhub_job_duration_seconds_count", Tool, "status=completed"));
        Assert.Equal(1, m.Sum("jobhub_job_duration_seconds_count", Tool, "status=cancelled"));
        Assert.Equal(4, m.Sum("jobhub_job_verdict_delay_seconds_count", "path=webhook", Tool)); // the failure's answer gave no run time
        Assert.Equal(1, m.Sum("jobhub_job_verdict_delay_seconds_count", "path=reconcile"));
        Assert.Equal(6, m.Sum("jobhub_runninghub_call_duration_seconds_count", "endpoint=start", "outcome=Success"));
        Assert.Equal(1, m.Sum("jobhub_runninghub_call_duration_seconds_count", "endpoint=query", "outcome=Success"));

        // Nothing left in a slot or the queue.
        Assert.Equal(0, m.Sum("jobhub_slots_used"));
        Assert.Equal(0, m.Sum("jobhub_queue_length"));

        // The standard instrumentation is exported beside the engine's.
        Assert.All(["http_server_request_duration_seconds_count", "http_client_request_duration_seconds_count", "dotnet_gc_collections_total"],
            name => Assert.True(m.Has(name), $"{name} missing"));
    }

    [Fact]
    public async Task Scrape_IsNotServedOnThePublicPort()
    {
        Assert.True((await PrometheusText.ReadAsync(http, Scrape)).Has("jobhub_slots_limit"));

        var plain = await http.GetAsync(new Uri(hub.BaseAddress, "/metrics"));
        Assert.NotEqual(HttpStatusCode.OK, plain.StatusCode);
        Assert.DoesNotContain("jobhub_", await plain.Content.ReadAsStringAsync());

        // The connection's port decides, not the Host header a request names.
        using var forged = new HttpRequestMessage(HttpMethod.Get, new Uri(hub.BaseAddress, "/metrics"));
        forged.Headers.Host = $"127.0.0.1:{metricsPort}";
        var answer = await http.SendAsync(forged);
        Assert.NotEqual(HttpStatusCode.OK, answer.StatusCode);
        Assert.DoesNotContain("jobhub_", await answer.Content.ReadAsStringAsync());

        // The metrics port serves the scrape alone.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{metricsPort}/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{metricsPort}/health")).StatusCode);
    }

    [Fact]
    public async Task Activities_FollowAJob_FromItsSubmitThroughItsLaunchToItsWebhook()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EngineTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var job = await hub.SubmitAsync(await hub.CreateUserAsync());
        Assert.Equal(JobStatus.Completed, (await hub.WaitForJobAsync(job.Id, j => j.Status == JobStatus.Completed)).Status);
        List<Activity> Of() => [.. stopped.Where(a => Equals(a.GetTagItem(EngineTracing.JobId), job.Id.ToString()))];
        Assert.True(await hub.WaitUntilAsync(() => Task.FromResult(Of().Any(a => a.OperationName == "job.copy_outputs")), TimeSpan.FromSeconds(30)));

        var activities = Of();
        var submit = Assert.Single(activities, a => a.OperationName == "job.submit");
        var launch = Assert.Single(activities, a => a.OperationName == "job.launch");
        Assert.Equal(submit.SpanId, launch.ParentSpanId);
        Assert.Equal(submit.TraceId, launch.TraceId);
        Assert.Equal(Core.Webhooks.WebhookOutcomes.Finished, WebhookOutcome(activities));
    }

    /// <summary>Debian's Prometheus, with docs/prometheus.yml pointed at this JobHub, scrapes it and answers a query for its slots.</summary>
    [Fact]
    public async Task Prometheus_ScrapesARunningJobHub_WithTheDocumentedConfiguration()
    {
        var binary = Environment.GetEnvironmentVariable("JOBHUB_TEST_PROMETHEUS") ?? "/usr/bin/prometheus";
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException($"Prometheus is not at {binary}: run the tests with ./jobhub test, which installs Debian's 'prometheus'.");
        }

        var folder = Directory.CreateTempSubdirectory("jobhub-prometheus-").FullName;
        var config = File.ReadAllText(Path.Combine(RepositoryRoot(AppContext.BaseDirectory), "docs", "prometheus.yml"))
            .Replace("localhost:9464", $"127.0.0.1:{metricsPort}", StringComparison.Ordinal)
            .Replace("scrape_interval: 15s", "scrape_interval: 1s", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "prometheus.yml"), config);
        var port = KestrelJobHub.FreePort();
        var start = new ProcessStartInfo(binary)
        {
            ArgumentList = { $"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{port}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var prometheus = Process.Start(start)!;
        var log = new ConcurrentQueue<string>();
        prometheus.OutputDataReceived += (_, e) => log.Enqueue(e.Data ?? "");
        prometheus.ErrorDataReceived += (_, e) => log.Enqueue(e.Data ?? "");
        prometheus.BeginOutputReadLine();
        prometheus.BeginErrorReadLine();
        try
        {
            string? answer = null;
            var found = await hub.WaitUntilAsync(async () =>
            {
                try
                {
                    answer = await http.GetStringAsync($"http://127.0.0.1:{port}/api/v1/query?query=jobhub_slots_limit");
                    return answer.Contains("\"value\":[", StringComparison.Ordinal) && answer.Contains(",\"3\"]", StringComparison.Ordinal);
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            }, TimeSpan.FromSeconds(90));
            Assert.True(found, $"{answer}\n{string.Join("\n", log)}");
            Assert.Contains("\"job\":\"jobhub\"", answer!);
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string RepositoryRoot(string from) =>
        File.Exists(Path.Combine(from, "JobHub.sln")) ? from : RepositoryRoot(Path.GetDirectoryName(from) ?? throw new InvalidOperationException("no repository root"));

    private static string? WebhookOutcome(IEnumerable<Activity> activities) =>
        activities.Single(a => a.OperationName == "job.webhook").GetTagItem("jobhub.outcome") as string;
}
