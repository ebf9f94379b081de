using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using JobHub.Core.Jobs;
using JobHub.Core.Webhooks;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Webhooks;

/// <summary>
/// The webhook's cost in the database (issue 18): a verdict is one statement (the change, its event, the refund, the
/// delivery record and the NOTIFY, one commit), then one read that finds nobody waiting for the freed slot. Counted from
/// Npgsql's own trace of the commands the call sent.
/// </summary>
public sealed class WebhookRoundTripTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task AFailureVerdict_IsOneStatement_ThenOneReadOfTheSlots()
    {
        var job = await h.RunningJobAsync(credits: 10);
        var receiver = h.Services.GetRequiredService<ReceiveWebhook>();
        var request = await RequestAsync(job, new { code = 805, msg = "CUDA out of memory", data = new { failedReason = new { exception_message = "oom" } } });

        var (response, commands) = await TracedAsync(() => receiver.HandleAsync(request));

        Assert.Equal((200, WebhookOutcomes.Finished), (response.StatusCode, response.Outcome));
        Assert.Equal(2, commands.Count);
        Assert.All(["UPDATE jobs", "INSERT INTO job_events", "INSERT INTO credit_ledger", "INSERT INTO webhook_deliveries", "pg_notify"],
            part => Assert.Contains(part, commands[0]));
        Assert.DoesNotContain("INSERT", commands[1]);
        Assert.DoesNotContain("UPDATE", commands[1]);
        Assert.Equal(JobStatus.Failed, (await h.GetJobAsync(job.Id)).Status);
        Assert.Equal(10, await h.BalanceAsync(job.UserId));
    }

    [Fact]
    public async Task ADuplicateVerdict_IsOneStatement_AndReadsNoSlots()
    {
        var job = await h.RunningJobAsync(credits: 10);
        var receiver = h.Services.GetRequiredService<ReceiveWebhook>();
        var request = await RequestAsync(job, new { code = 805, msg = "CUDA out of memory" });
        Assert.Equal(WebhookOutcomes.Finished, (await receiver.HandleAsync(request)).Outcome);

        var (response, commands) = await TracedAsync(() => receiver.HandleAsync(request));

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

    /// <summary>
    /// Runs <paramref name="call"/> under an activity of its own and returns the SQL of the commands Npgsql traced in it
    /// (in the order they ended) before it returned.
    /// </summary>
    private static async Task<(T Result, IReadOnlyList<string> Commands)> TracedAsync<T>(Func<Task<T>> call)
    {
        using var source = new ActivitySource("JobHub.Tests.WebhookRoundTrip");
        var commands = new ConcurrentQueue<string>();
        ActivityTraceId? trace = null;
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Npgsql" || s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Npgsql" && activity.TraceId == trace)
                {
                    commands.Enqueue((activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement")) as string ?? activity.DisplayName);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        T result;
        using (var parent = source.StartActivity("webhook")!)
        {
            trace = parent.TraceId;
            result = await call();
            trace = null;
        }

        return (result, commands.ToList());
    }
}
