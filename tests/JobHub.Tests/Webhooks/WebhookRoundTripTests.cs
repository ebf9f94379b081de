using System.Text.Json;
using JobHub.Core.Jobs;
using JobHub.Core.Webhooks;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobHub.Tests.Webhooks;

/// <summary>
/// The webhook's cost in the database: a verdict is one round trip (the shared slot lock, then one statement with
/// the change, its event, the refund, the delivery record and the NOTIFY, one commit); the freed slot costs a promotion only
/// when a job waits. Counted from Npgsql's own trace of the commands the call sent.
/// </summary>
public sealed class WebhookRoundTripTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task AFailureVerdict_IsOneRoundTrip_WhenNobodyWaits()
    {
        var job = await h.RunningJobAsync(credits: 10);
        var receiver = h.Services.GetRequiredService<ReceiveWebhook>();
        var request = await RequestAsync(job, new { code = 805, msg = "CUDA out of memory", data = new { failedReason = new { exception_message = "oom" } } });

        // A connection of its own (not the engine's pool, whose idle connection the webhook then uses): another instance listening.
        await using var listening = new NpgsqlConnection(TestDatabase.ConnectionStringFor(h.DatabaseName));
        await listening.OpenAsync();
        var heard = new List<string>();
        listening.Notification += (_, e) => heard.Add(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {JobEvents.Channel}", listening))
        {
            await listen.ExecuteNonQueryAsync();
        }

        var (response, commands) = await CommandTrace.RunAsync(() => receiver.HandleAsync(request));

        Assert.Equal((200, WebhookOutcomes.Finished), (response.StatusCode, response.Outcome));
        var command = Assert.Single(commands);
        Assert.All(["pg_advisory_xact_lock_shared", "UPDATE jobs", "INSERT INTO job_events", "INSERT INTO credit_ledger", "INSERT INTO webhook_deliveries"],
            part => Assert.Contains(part, command));
        Assert.DoesNotContain("pg_notify", command); // sent after the commit, with the ends committed meanwhile (JobChangeFeed)
        Assert.Equal(JobStatus.Failed, (await h.GetJobAsync(job.Id)).Status);
        Assert.Equal(10, await h.BalanceAsync(job.UserId));

        // The job's admission is published after its commit too, so it may be heard here first: only the end is looked at.
        List<JobChanged> Ends() => [.. heard.Select(payload => JsonSerializer.Deserialize<JobChanged>(payload, JobJson.Options)!)
            .Where(change => change.Status != JobStatus.Starting)];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Ends().Count == 0 && DateTime.UtcNow < deadline)
        {
            await listening.WaitAsync(TimeSpan.FromMilliseconds(200));
        }

        Assert.Equal(new JobChanged(job.Id, job.UserId, JobStatus.Failed, JobStatus.Running), Assert.Single(Ends()));
    }

    [Fact]
    public async Task AVerdictFreeingASlotSomeoneWaitsFor_PromotesThatJob_InTheSameCall()
    {
        var running = new List<Job>();
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            running.Add(await h.RunningJobAsync());
        }

        var queued = (await h.SubmitAsync(await h.CreateUserAsync())).Job!;
        Assert.Equal(JobStatus.Queued, queued.Status);
        var receiver = h.Services.GetRequiredService<ReceiveWebhook>();
        var request = await RequestAsync(running[0], new { code = 805, msg = "CUDA out of memory" });

        var (response, commands) = await CommandTrace.RunAsync(() => receiver.HandleAsync(request));

        Assert.Equal(WebhookOutcomes.Finished, response.Outcome);
        Assert.True(commands.Count > 1, "the promotion follows the verdict");
        Assert.Contains("pg_advisory_xact_lock(", commands[1]);
        Assert.NotEqual(JobStatus.Queued, (await h.GetJobAsync(queued.Id)).Status);
        await h.Launcher.WhenIdleAsync();
    }

    [Fact]
    public async Task ADuplicateVerdict_IsOneStatement_AndReadsNoSlots()
    {
        var job = await h.RunningJobAsync(credits: 10);
        var receiver = h.Services.GetRequiredService<ReceiveWebhook>();
        var request = await RequestAsync(job, new { code = 805, msg = "CUDA out of memory" });
        Assert.Equal(WebhookOutcomes.Finished, (await receiver.HandleAsync(request)).Outcome);

        var (response, commands) = await CommandTrace.RunAsync(() => receiver.HandleAsync(request));

        Assert.Equal((200, WebhookOutcomes.Duplicate), (response.StatusCode, response.Outcome));
        Assert.Single(commands);
        Assert.Equal(2, await h.ScalarAsync<int>($"SELECT count(*)::int FROM webhook_deliveries WHERE job_id = {job.Id}"));
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id} AND kind = 'ignored'"));
        Assert.Equal(10, await h.BalanceAsync(job.UserId));
    }

    private async Task<WebhookRequest> RequestAsync(Job job, object eventData)
    {
        var token = await h.Services.GetRequiredService<WebhookTokens>().CreateTokenAsync(job.Id); // reads the shared secret once
        var body = JsonSerializer.Serialize(new { @event = "TASK_END", taskId = job.TaskId, eventData = JsonSerializer.Serialize(eventData) });
        return new WebhookRequest(job.Id.ToString(), token, body, new Dictionary<string, string>());
    }
}
