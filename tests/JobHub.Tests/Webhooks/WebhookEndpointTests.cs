using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using JobHub.Core.Jobs;
using JobHub.Core.Webhooks;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Webhooks;

/// <summary>
/// The webhook endpoint against JobHub on Kestrel with its simulator, which sends the callbacks over real HTTP:
/// the fast path, duplicates, stale copies, late deliveries and every kind of bad request.
/// </summary>
public sealed class WebhookEndpointTests
{
    private static readonly SimulatorSettings Quick = new() { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMilliseconds(400) };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Webhook_CompletesTheJob_ThenItsOutputsAreCopiedIntoStorage(bool eventDataAsString)
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Quick with { EventDataAsString = eventDataAsString });
        var user = await hub.CreateUserAsync();
        var job = await hub.SubmitAsync(user);

        var done = await hub.WaitForJobAsync(job.Id, j => j.OutputsCopiedAt is not null);

        Assert.Equal(JobStatus.Completed, done.Status);
        var output = Assert.Single(done.OutputFiles);
        Assert.StartsWith(hub.RunningHub.BaseUrl + "/files/", output.Url);
        Assert.NotNull(output.StoredName);
        var storage = hub.Services.GetRequiredService<Core.Storage.IFileStorage>();
        using var copy = new MemoryStream();
        await using (var stored = await storage.OpenReadAsync(output.StoredName))
        {
            await stored.CopyToAsync(copy);
        }

        var simulated = hub.Simulator.File(hub.Simulator.Tasks.Single().OutputName!);
        Assert.Equal(simulated, copy.ToArray());
        Assert.Equal(7, await hub.BalanceAsync(user));
        var delivery = await hub.QueryAsync<string>($"SELECT http_status || ' ' || outcome FROM webhook_deliveries WHERE job_id = {job.Id}");
        Assert.Equal($"200 {WebhookOutcomes.Finished}", Assert.Single(delivery));
        Assert.Equal(1, await hub.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id} AND to_status = 'completed' AND cause = 'webhook'"));
    }

    [Fact]
    public async Task Webhook_Duplicated5TimesWithAStaleCopy_OneTerminalState_OneRefund_EveryDeliveryRecorded()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Quick with
        {
            FailureRate = 1,
            WebhookDuplicateRate = 1,
            WebhookDuplicates = 5,
            WebhookOutOfOrder = true,
        });
        var user = await hub.CreateUserAsync();
        var job = await hub.SubmitAsync(user);

        Assert.True(await hub.WaitUntilAsync(async () =>
            await hub.ScalarAsync<int>($"SELECT count(*)::int FROM webhook_deliveries WHERE job_id = {job.Id}") == 6));

        var failed = await hub.GetJobAsync(job.Id);
        Assert.Equal((JobStatus.Failed, "CUDA out of memory (simulated)"), (failed.Status, failed.ErrorMessage));
        var outcomes = await hub.QueryAsync<string>($"SELECT outcome FROM webhook_deliveries WHERE job_id = {job.Id} ORDER BY id");
        Assert.Equal([WebhookOutcomes.Finished, .. Enumerable.Repeat(WebhookOutcomes.Duplicate, 4), WebhookOutcomes.UnknownStatus], outcomes);
        Assert.Equal(1, await hub.ScalarAsync<int>($"SELECT count(*)::int FROM credit_ledger WHERE job_id = {job.Id} AND kind = 'refund'"));
        Assert.Equal(1, await hub.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id} AND kind = 'transition' AND to_status = 'failed'"));
        Assert.Equal(10, await hub.BalanceAsync(user));
    }

    [Fact]
    public async Task Webhook_ArrivingAfterReconciliationFinishedTheJob_Answers200_AndChangesNothing()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Quick with { WebhookLostRate = 1 });
        var user = await hub.CreateUserAsync();
        var job = await hub.SubmitAsync(user);
        var running = await hub.WaitForJobAsync(job.Id, j => j.Status == JobStatus.Running);
        Assert.True(await hub.WaitUntilAsync(() => Task.FromResult(hub.Simulator.Tasks.Single().Status == SimTaskStatus.Success)));

        var reconciled = await hub.Services.GetRequiredService<ReconcileJob>().HandleAsync(job.Id, JobCause.User, user);
        Assert.Equal(ReconcileOutcome.Finished, reconciled.Outcome);
        var before = await hub.WaitForJobAsync(job.Id, j => j.OutputsCopiedAt is not null);

        var task = hub.Simulator.Tasks.Single();
        var body = SimulatorPayloads.WebhookBody(task, hub.Simulator.FilesBaseUrl, true, "unused");
        using var http = new HttpClient();
        using var response = await http.PostAsJsonAsync(task.WebhookUrl, body, JsonSerializerOptions.Web);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(WebhookOutcomes.Duplicate, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        var after = await hub.GetJobAsync(job.Id);
        Assert.Equal((before.Status, before.CompletedAt, before.Outputs), (after.Status, after.CompletedAt, after.Outputs));
        Assert.Equal(7, await hub.BalanceAsync(user));
        Assert.Equal(running.TaskId, task.TaskId);
    }

    [Fact]
    public async Task MalformedOrForgedRequests_Get4xx_AreRecordedOrCounted_AndChangeNoJobOrBalance()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Quick with { RunFor = TimeSpan.FromMinutes(10) });
        var user = await hub.CreateUserAsync();
        var job = await hub.WaitForJobAsync((await hub.SubmitAsync(user)).Id, j => j.Status == JobStatus.Running);
        var other = await hub.WaitForJobAsync((await hub.SubmitAsync(await hub.CreateUserAsync())).Id, j => j.Status == JobStatus.Running);
        var tokens = hub.Services.GetRequiredService<WebhookTokens>();
        var token = await tokens.CreateTokenAsync(job.Id);
        var otherToken = await tokens.CreateTokenAsync(other.Id);
        var unknownJob = Guid.NewGuid();
        var url = $"api/webhooks/runninghub/{job.Id}?token=";
        string Body(object? eventData, string? taskId = null, string? evt = "TASK_END") =>
            JsonSerializer.Serialize(new Dictionary<string, object?> { ["event"] = evt, ["taskId"] = taskId ?? job.TaskId, ["eventData"] = eventData });
        var success = JsonSerializer.Serialize(new { code = 0, msg = "success", data = new[] { new { fileUrl = "https://rh.test/x.png", fileType = "png" } } });

        var cases = new (string Name, string Path, string Body, int Status)[]
        {
            ("no token", $"api/webhooks/runninghub/{job.Id}", Body(success), 401),
            ("empty token", url, Body(success), 401),
            ("wrong token", url + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Body(success), 401),
            ("other job's token", url + otherToken, Body(success), 401),
            ("token upper-cased", url + token.ToUpperInvariant(), Body(success), 401),
            ("token truncated", url + token[..^1], Body(success), 401),
            ("token with a suffix", url + token + "x", Body(success), 401),
            ("token far too long", url + new string('A', 5000), Body(success), 401),
            ("job id not a guid", "api/webhooks/runninghub/not-a-job?token=" + token, Body(success), 404),
            ("unknown job, its own valid token", $"api/webhooks/runninghub/{unknownJob}?token=" + await tokens.CreateTokenAsync(unknownJob), Body(success), 404),
            ("empty body", url + token, "", 400),
            ("not JSON", url + token, "this is not json", 400),
            ("truncated JSON", url + token, Body(success)[..20], 400),
            ("JSON array", url + token, "[1,2,3]", 400),
            ("JSON string", url + token, "\"TASK_END\"", 400),
            ("JSON null", url + token, "null", 400),
            ("event missing", url + token, Body(success, evt: null), 400),
            ("other event", url + token, Body(success, evt: "TASK_START"), 400),
            ("taskId missing", url + token, JsonSerializer.Serialize(new { @event = "TASK_END", eventData = success }), 400),
            ("taskId empty", url + token, Body(success, taskId: ""), 400),
            ("another job's task", url + token, Body(success, taskId: other.TaskId), 400),
            ("eventData missing", url + token, JsonSerializer.Serialize(new { @event = "TASK_END", taskId = job.TaskId }), 400),
            ("eventData null", url + token, Body(null), 400),
            ("eventData a number", url + token, Body(42), 400),
            ("eventData a string that is not JSON", url + token, Body("{not json"), 400),
            ("status still RUNNING", url + token, Body(new { taskId = job.TaskId, status = "RUNNING" }), 400),
            ("status unknown", url + token, Body(new { taskId = job.TaskId, status = "EXPLODED" }), 400),
            ("success code but no files", url + token, Body(JsonSerializer.Serialize(new { code = 0, msg = "success", data = Array.Empty<object>() })), 400),
            ("nested 200 deep", url + token, new string('[', 200) + new string(']', 200), 400),
            ("NUL bytes", url + token, "{\"event\":\"TASK_END\u0000\"}", 400),
            ("huge body", url + token, Body(success) + new string(' ', ReceiveWebhook.MaxBodyBytes + 10), 413),
        };
        Assert.True(cases.Length >= 30);

        var snapshot = await SnapshotAsync(hub);
        using var http = new HttpClient { BaseAddress = hub.BaseAddress };
        foreach (var (name, path, body, status) in cases)
        {
            using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(status == (int)response.StatusCode, $"{name}: expected {status}, got {(int)response.StatusCode}");
        }

        Assert.Equal(snapshot, await SnapshotAsync(hub));
        // A bad token or an unknown job is only counted (anyone can send it); the rest, with the job's own token, is recorded.
        var recorded = await hub.QueryAsync<int>($"SELECT http_status FROM webhook_deliveries ORDER BY id");
        Assert.Equal(cases.Select(c => c.Status).Where(status => status is not (401 or 404)), recorded);
        await hub.Services.GetRequiredService<WebhookNoise>().FlushAsync();
        Assert.Equal([$"{WebhookOutcomes.BadToken}|8", $"{WebhookOutcomes.UnknownJob}|2"],
            await hub.QueryAsync<string>($"SELECT reason || '|' || count FROM webhook_noise ORDER BY reason"));
        Assert.Equal(JobStatus.Running, (await hub.GetJobAsync(job.Id)).Status);
    }

    private static async Task<string> SnapshotAsync(LiveJobHub hub) =>
        string.Join("\n", await hub.QueryAsync<string>($"""
            SELECT concat_ws('|', id, status, updated_at, outputs::text, error_code) FROM jobs
            UNION ALL SELECT concat_ws('|', id, credit_balance) FROM users
            UNION ALL SELECT concat_ws('|', 'ledger', count(*)) FROM credit_ledger
            ORDER BY 1
            """));
}
