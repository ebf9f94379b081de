using System.Net.Http.Json;
using System.Text.Json;
using JobHub.Core.RunningHub;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Simulator;

/// <summary>The simulator's controls do what they say: webhooks lost, duplicated, out of order, string or object eventData.</summary>
public sealed class SimulatorControlTests : IAsyncLifetime
{
    /// <summary>A real app the simulator knows (the upscaler's old-photo app: one image node, 139).</summary>
    internal const string OldPhotoApp = "2018913880214343681";

    private SimulatorHost sim = null!;

    public async Task InitializeAsync() => sim = await SimulatorHost.StartAsync(new SimulatorSettings
    {
        QueuedFor = TimeSpan.FromMilliseconds(50),
        RunFor = TimeSpan.FromMilliseconds(200),
    });

    public async Task DisposeAsync() => await sim.DisposeAsync();

    private async Task<string> RunTaskAsync()
    {
        var client = sim.Client();
        var upload = await client.UploadAsync(sim.Account, new MemoryStream(SampleMedia.Png(4, 4)), "a.png", "image/png", default);
        var start = await client.StartAsync(sim.Account, new StartRequest(OldPhotoApp, [new NodeInfo("139", "image", upload.FileName!)], sim.WebhookUrl), default);
        await sim.WaitForAsync(() => client.QueryAsync(sim.Account, start.TaskId!, default), q => q.Status is RemoteTaskStatus.Success or RemoteTaskStatus.Failed);
        return start.TaskId!;
    }

    [Fact]
    public async Task Webhook_StringEventData_InTheLegacyShape()
    {
        var taskId = await RunTaskAsync();
        var hook = await sim.WaitForAsync(() => Task.FromResult(sim.Webhooks.ToList()), l => l.Count == 1);

        var body = Assert.Single(hook);
        Assert.Equal("TASK_END", body.GetProperty("event").GetString());
        Assert.Equal(taskId, body.GetProperty("taskId").GetString());
        var eventData = JsonDocument.Parse(body.GetProperty("eventData").GetString()!).RootElement;
        Assert.Equal(RemoteTaskStatus.Success, RunningHubPayloads.ParseLegacyOutputs(eventData).Status);
    }

    [Fact]
    public async Task Webhook_ObjectEventData_InTheV2Shape()
    {
        sim.State.Settings = sim.State.Settings with { EventDataAsString = false, FailureRate = 1 };
        await RunTaskAsync();
        var hook = await sim.WaitForAsync(() => Task.FromResult(sim.Webhooks.ToList()), l => l.Count == 1);

        var eventData = Assert.Single(hook).GetProperty("eventData");
        Assert.Equal(JsonValueKind.Object, eventData.ValueKind);
        Assert.Equal(RemoteTaskStatus.Failed, RunningHubPayloads.ParseQuery(eventData).Status);
    }

    [Fact]
    public async Task Webhook_Lost_IsNeverSent()
    {
        sim.State.Settings = sim.State.Settings with { WebhookLostRate = 1 };

        await RunTaskAsync();
        await Task.Delay(500);

        Assert.Empty(sim.Webhooks);
        Assert.Equal(0, sim.State.WebhooksSent);
    }

    [Fact]
    public async Task Webhook_Duplicated_AndOutOfOrder()
    {
        sim.State.Settings = sim.State.Settings with { WebhookDuplicateRate = 1, WebhookDuplicates = 3, WebhookOutOfOrder = true };

        await RunTaskAsync();
        var hooks = await sim.WaitForAsync(() => Task.FromResult(sim.Webhooks.ToList()), l => l.Count == 4);

        Assert.Equal(4, hooks.Count);
        Assert.Equal(JsonValueKind.Object, hooks[3].GetProperty("eventData").ValueKind);
        Assert.Equal("RUNNING", hooks[3].GetProperty("eventData").GetProperty("status").GetString());
    }

    [Fact]
    public async Task QueryNotFound_Control_MakesEveryQueryNotFound()
    {
        var taskId = await RunTaskAsync();
        sim.State.Settings = sim.State.Settings with { QueryNotFound = true };

        var result = await sim.Client().QueryAsync(sim.Account, taskId, default);

        Assert.Equal(CallOutcome.NotFound, result.Outcome);
    }

    [Fact]
    public async Task ControlEndpoint_ChangesSettingsOverHttp()
    {
        using var http = new HttpClient { BaseAddress = sim.Address };
        var current = await http.GetFromJsonAsync<SimulatorSettings>("rh/_control/settings");

        var response = await http.PutAsJsonAsync("rh/_control/settings", current! with { CapacityErrorsNext = 2, ResponseLatency = TimeSpan.FromMilliseconds(150) });
        response.EnsureSuccessStatusCode();
        var client = sim.Client();
        var started = DateTime.UtcNow;
        var first = await client.StartAsync(sim.Account, new StartRequest(OldPhotoApp, [], null), default);
        var elapsed = DateTime.UtcNow - started;
        var second = await client.StartAsync(sim.Account, new StartRequest(OldPhotoApp, [], null), default);
        var third = await client.StartAsync(sim.Account, new StartRequest(OldPhotoApp, [], null), default);

        Assert.Equal([CallOutcome.Capacity, CallOutcome.Capacity, CallOutcome.Success], new[] { first.Outcome, second.Outcome, third.Outcome });
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(140), $"latency control not applied: {elapsed}");
    }
}

public sealed class SimulatorDelayTests : IAsyncLifetime
{
    private const string OldPhotoApp = SimulatorControlTests.OldPhotoApp;

    private SimulatorHost sim = null!;

    public async Task InitializeAsync() => sim = await SimulatorHost.StartAsync(new SimulatorSettings
    {
        QueuedFor = TimeSpan.Zero,
        RunFor = TimeSpan.FromMilliseconds(100),
        WebhookDelay = TimeSpan.FromSeconds(1.5),
    });

    public async Task DisposeAsync() => await sim.DisposeAsync();

    [Fact]
    public async Task Webhook_Delayed_ArrivesOnlyAfterTheDelay()
    {
        var client = sim.Client();
        var start = await client.StartAsync(sim.Account, new StartRequest(OldPhotoApp, [], sim.WebhookUrl), default);
        await sim.WaitForAsync(() => client.QueryAsync(sim.Account, start.TaskId!, default), q => q.Status == RemoteTaskStatus.Success);
        var endedAt = sim.State.Tasks.Single().EndedAt!.Value;

        await sim.WaitForAsync(() => Task.FromResult(sim.Webhooks.Count), n => n == 1);

        Assert.Single(sim.Webhooks);
        var waited = DateTimeOffset.UtcNow - endedAt;
        Assert.True(waited >= TimeSpan.FromSeconds(1), $"the webhook came {waited.TotalMilliseconds:0} ms after the task ended");
    }

    [Fact]
    public async Task OutputUrls_StayRight_AfterSomeoneDownloadedAFile()
    {
        var client = sim.Client();
        var first = await RunToSuccessAsync(client);
        using var http = new HttpClient();
        Assert.Equal(200, (int)(await http.GetAsync(first)).StatusCode); // a file request: it must not change where files are said to live

        var second = await RunToSuccessAsync(client);

        Assert.Equal(new Uri(first).GetLeftPart(UriPartial.Authority) + "/rh/files/openapi/", second[..second.LastIndexOf('/')] + "/");
        Assert.Equal(200, (int)(await http.GetAsync(second)).StatusCode);
    }

    private async Task<string> RunToSuccessAsync(RunningHubHttpClient client)
    {
        sim.State.Settings = sim.State.Settings with { FailureRate = 0, RunFor = TimeSpan.FromMilliseconds(100), QueuedFor = TimeSpan.Zero };
        var upload = await client.UploadAsync(sim.Account, new MemoryStream(SampleMedia.Png(4, 4)), "a.png", "image/png", default);
        var start = await client.StartAsync(sim.Account, new StartRequest(OldPhotoApp, [new NodeInfo("139", "image", upload.FileName!)], sim.WebhookUrl), default);
        var done = await sim.WaitForAsync(() => client.QueryAsync(sim.Account, start.TaskId!, default), q => q.Status == RemoteTaskStatus.Success);
        return Assert.Single(done.Outputs).Url;
    }
}
