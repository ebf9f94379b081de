using System.Collections.Concurrent;
using System.Text.Json;
using JobHub.Core;
using JobHub.Core.Admin;
using JobHub.Core.Jobs;
using JobHub.Core.Webhooks;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Webhooks;

/// <summary>
/// Deliveries anyone can send (a made-up token, a job that does not exist) are counted per reason, over all instances, and
/// never stored: the attack of posting large bodies with a made-up token leaves <c>webhook_deliveries</c> as it was.
/// </summary>
public sealed class WebhookNoiseTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task LargeDeliveriesWithAMadeUpToken_OrForAnUnknownJob_AreCountedPerReason_AndNothingIsStored()
    {
        var job = await h.RunningJobAsync(credits: 10);
        var receiver = h.Services.GetRequiredService<ReceiveWebhook>();
        var tokens = h.Services.GetRequiredService<WebhookTokens>();
        var unknown = Guid.NewGuid();
        var body = JsonSerializer.Serialize(new { @event = "TASK_END", taskId = job.TaskId, eventData = new { status = "SUCCESS" }, pad = new string('x', 200 * 1024) });
        var headers = new Dictionary<string, string> { ["User-Agent"] = "junk" };
        var before = await SnapshotAsync();

        for (var i = 0; i < 50; i++)
        {
            var (response, commands) = await CommandTrace.RunAsync(() =>
                receiver.HandleAsync(new WebhookRequest(job.Id.ToString(), "made-up-" + i, body, headers)));
            Assert.Equal((401, WebhookOutcomes.BadToken), (response.StatusCode, response.Outcome));
            Assert.Empty(commands); // refused before the database: no write per junk request
        }

        var unknownToken = await tokens.CreateTokenAsync(unknown);
        var verdict = JsonSerializer.Serialize(new { @event = "TASK_END", taskId = "1", eventData = new { code = 805, msg = "boom" } });
        Assert.Equal(404, (await receiver.HandleAsync(new WebhookRequest(unknown.ToString(), unknownToken, verdict, headers))).StatusCode);
        Assert.Equal(404, (await receiver.HandleAsync(new WebhookRequest(unknown.ToString(), unknownToken, "not json", headers))).StatusCode);
        Assert.Equal(404, (await receiver.HandleAsync(new WebhookRequest("not-a-job", unknownToken, body, headers))).StatusCode);

        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM webhook_deliveries"));
        await h.Services.GetRequiredService<WebhookNoise>().FlushAsync();
        var overview = await h.Services.GetRequiredService<AdminQueries>().OverviewAsync();
        Assert.Equal([(WebhookOutcomes.BadToken, 50L), (WebhookOutcomes.UnknownJob, 3L)], overview.WebhookNoise.Select(n => (n.Reason, n.Count)));

        // A delivery with the job's own token is kept as before.
        var own = await tokens.CreateTokenAsync(job.Id);
        Assert.Equal(400, (await receiver.HandleAsync(new WebhookRequest(job.Id.ToString(), own, "not json", headers))).StatusCode);
        Assert.Equal(["400 malformed"], await h.QueryAsync<string>($"SELECT http_status || ' ' || outcome FROM webhook_deliveries WHERE job_id = {job.Id}"));
    }

    [Fact]
    public async Task TheCounts_OfSeveralInstances_AddUp_AndEachReasonIsLoggedAtMostOnceAMinute()
    {
        var logs = new LogLines();
        using var logging = LoggerFactory.Create(builder => builder.AddProvider(logs));
        var options = Options.Create(new JobHubOptions());
        var first = new WebhookNoise(h.Db, options, h.Clock, logging.CreateLogger<WebhookNoise>());
        var second = new WebhookNoise(h.Db, options, h.Clock, logging.CreateLogger<WebhookNoise>());

        for (var i = 0; i < 100; i++)
        {
            first.Count(WebhookOutcomes.BadToken);
        }

        second.Count(WebhookOutcomes.UnknownJob);
        Assert.Equal(2, logs.Count); // the first of each reason
        h.Clock.Advance(TimeSpan.FromSeconds(59));
        first.Count(WebhookOutcomes.BadToken);
        Assert.Equal(2, logs.Count);
        h.Clock.Advance(TimeSpan.FromSeconds(2));
        first.Count(WebhookOutcomes.BadToken);
        Assert.Equal(3, logs.Count);
        Assert.Contains("101 webhook deliveries refused as bad_token", logs.Last);

        await first.FlushAsync();
        await second.FlushAsync();
        for (var i = 0; i < 7; i++)
        {
            second.Count(WebhookOutcomes.BadToken);
        }

        await second.FlushAsync();
        await first.FlushAsync(); // nothing new: adds nothing
        Assert.Equal(["bad_token|109", "unknown_job|1"], await h.QueryAsync<string>($"SELECT reason || '|' || sum(count) FROM webhook_noise GROUP BY reason ORDER BY reason"));
    }

    private async Task<string> SnapshotAsync() =>
        string.Join("\n", await h.QueryAsync<string>($"""
            SELECT concat_ws('|', id, status, updated_at, outputs::text, error_code) FROM jobs
            UNION ALL SELECT concat_ws('|', id, credit_balance) FROM users
            UNION ALL SELECT concat_ws('|', 'ledger', count(*)) FROM credit_ledger
            UNION ALL SELECT concat_ws('|', 'events', count(*)) FROM job_events
            UNION ALL SELECT concat_ws('|', 'deliveries', count(*)) FROM webhook_deliveries
            ORDER BY 1
            """));

    /// <summary>The warnings logged, as text.</summary>
    private sealed class LogLines : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> lines = new();

        public int Count => lines.Count;

        public string Last => lines.Last();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
