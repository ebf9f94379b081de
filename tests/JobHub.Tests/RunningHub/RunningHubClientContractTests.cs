using JobHub.Core.RunningHub;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.RunningHub;

/// <summary>The real HTTP client against the simulator over HTTP: every call and every error class.</summary>
public sealed class RunningHubClientContractTests : IAsyncLifetime
{
    private SimulatorHost sim = null!;

    public async Task InitializeAsync() => sim = await SimulatorHost.StartAsync(new SimulatorSettings
    {
        QueuedFor = TimeSpan.FromMilliseconds(100),
        RunFor = TimeSpan.FromMilliseconds(300),
    });

    public async Task DisposeAsync() => await sim.DisposeAsync();

    private async Task<string> UploadAsync(RunningHubHttpClient client)
    {
        var upload = await client.UploadAsync(sim.Account, new MemoryStream(SampleMedia.Png(8, 8)), "in.png", "image/png", default);
        Assert.Equal(CallOutcome.Success, upload.Outcome);
        return upload.FileName!;
    }

    private StartRequest Request(string fileName) => new("2018451429635133442", [new NodeInfo("27", "image", fileName, "person")], sim.WebhookUrl);

    [Fact]
    public async Task AnUpload_IsStreamedWhole_OnEveryAttempt_FromAStoredFilesPosition_OrFromAStreamThatCannotSeek()
    {
        var png = SampleMedia.Png(32, 24);
        var attempts = new List<long>();
        var client = new RunningHubHttpClient(new HttpClient(new FailFirst(attempts)), Options.Create(new RunningHubOptions { CallTimeout = TimeSpan.FromSeconds(10) }),
            NullLogger<RunningHubHttpClient>.Instance);
        var stored = new MemoryStream([.. new byte[100], .. png]) { Position = 100 }; // a stored file, read from where it was left

        var first = await client.UploadAsync(sim.Account, stored, "in.png", "image/png", default);
        var second = await client.UploadAsync(sim.Account, new NoSeek(png), "in.png", "image/png", default);

        Assert.Equal(CallOutcome.Success, first.Outcome);
        Assert.Equal(CallOutcome.Success, second.Outcome);
        Assert.Equal(png, sim.State.File(first.FileName!));
        Assert.Equal(png, sim.State.File(second.FileName!));
        Assert.Equal(4, attempts.Count);
        Assert.Single(attempts.Distinct()); // the failed attempt sent the whole body too, and as long a one
    }

    /// <summary>Reads each upload's whole body; the first of each pair is answered 503 (so retried), the second sent on.</summary>
    private sealed class FailFirst(List<long> attempts) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            attempts.Add(body.Length);
            return attempts.Count % 2 == 1 ? new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable) : await base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class NoSeek(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task Upload_Start_Query_RunToSuccess_WithOutputsAndUsage()
    {
        var client = sim.Client();
        var fileName = await UploadAsync(client);

        var start = await client.StartAsync(sim.Account, Request(fileName), default);
        var done = await sim.WaitForAsync(() => client.QueryAsync(sim.Account, start.TaskId!, default), q => q.Status == RemoteTaskStatus.Success);

        Assert.StartsWith("openapi/", fileName);
        Assert.Equal(CallOutcome.Success, start.Outcome);
        Assert.Matches("^[0-9]{19}$", start.TaskId);
        var output = Assert.Single(done.Outputs);
        Assert.Equal(SampleResults.Upscale(SampleMedia.Png(8, 8))!.Content, await new HttpClient().GetByteArrayAsync(output.Url)); // the input, "upscaled"
        Assert.NotNull(done.Usage?.ConsumeMoney);
        Assert.NotNull(done.Usage?.TaskCostTime);
    }

    [Fact]
    public async Task FailedTask_QueryCarriesRunningHubsMessageAndFailedReason()
    {
        sim.State.Settings = sim.State.Settings with { FailureRate = 1, FailureMessage = "node 27: CUDA out of memory" };
        var client = sim.Client();

        var start = await client.StartAsync(sim.Account, Request(await UploadAsync(client)), default);
        var done = await sim.WaitForAsync(() => client.QueryAsync(sim.Account, start.TaskId!, default), q => q.Status == RemoteTaskStatus.Failed);

        Assert.Equal(RemoteTaskStatus.Failed, done.Status);
        Assert.Equal("805", done.ErrorCode);
        Assert.Equal("node 27: CUDA out of memory", done.ErrorMessage);
        Assert.Equal("RuntimeError", RunningHubPayloads.Text(done.FailedReason!.Value, "exception_type"));
    }

    [Theory]
    [InlineData("421")]
    [InlineData("415")]
    [InlineData("1520")]
    public async Task ScriptedCapacityError_IsCapacity(string code)
    {
        sim.State.Settings = sim.State.Settings with { CapacityErrorsNext = 1, CapacityErrorCode = code };
        var client = sim.Client();

        var start = await client.StartAsync(sim.Account, Request(await UploadAsync(client)), default);

        Assert.Equal(CallOutcome.Capacity, start.Outcome);
        Assert.Equal(code, start.Code);
    }

    [Fact]
    public async Task RateLimit_IsRateLimited_AndAStartIsStillNotRetried()
    {
        sim.State.Settings = sim.State.Settings with { CapacityErrorsNext = 1, CapacityErrorCode = "1003" };
        var client = sim.Client();

        var start = await client.StartAsync(sim.Account, Request(await UploadAsync(client)), default);

        Assert.Equal((CallOutcome.RateLimited, "1003"), (start.Outcome, start.Code));
        Assert.Equal(1, sim.State.StartCalls);
    }

    [Fact]
    public async Task FullAccount_GetsTheRealCapacityError()
    {
        sim.State.Settings = sim.State.Settings with { ConcurrencyPerKey = 1, RunFor = TimeSpan.FromMinutes(5) };
        var client = sim.Client();
        var fileName = await UploadAsync(client);

        var first = await client.StartAsync(sim.Account, Request(fileName), default);
        var second = await client.StartAsync(sim.Account, Request(fileName), default);

        Assert.Equal(CallOutcome.Success, first.Outcome);
        Assert.Equal(CallOutcome.Capacity, second.Outcome);
        Assert.Equal("TASK_QUEUE_MAXED", second.Message);
    }

    [Fact]
    public async Task InvalidKey_IsATerminalError_OnEveryCall()
    {
        var client = sim.Client();
        var bad = sim.Account with { ApiKey = "wrong-key" };

        var upload = await client.UploadAsync(bad, new MemoryStream(SampleMedia.Png(4, 4)), "a.png", "image/png", default);
        var start = await client.StartAsync(bad, Request("openapi/x.png"), default);
        var status = await client.GetAccountStatusAsync(bad, default);

        Assert.Equal((CallOutcome.Error, "1601"), (upload.Outcome, upload.Code));
        Assert.Equal((CallOutcome.Error, "1601"), (start.Outcome, start.Code));
        Assert.Equal((CallOutcome.Error, "802"), (status.Outcome, status.Code));
    }

    [Fact]
    public async Task NodeItemWithExtraFields_IsRefusedWith803_AsTheRealServiceDoes()
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", sim.ApiKey);
        var response = await http.PostAsync(new Uri(sim.Address, "rh/openapi/v2/run/ai-app/1"),
            new StringContent("""{"nodeInfoList":[{"nodeId":"1","fieldName":"image","fieldValue":"x","extra":1}]}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Contains("\"errorCode\":\"803\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task QueryOfAnUnknownTask_IsNotFound()
    {
        var result = await sim.Client().QueryAsync(sim.Account, "1999999999999999999", default);

        Assert.Equal(CallOutcome.NotFound, result.Outcome);
        Assert.Equal("1007", result.Code);
    }

    [Fact]
    public async Task Cancel_RunningTask_ThenAgain_IsNotAllowed_AndUnknownIsNotFound()
    {
        sim.State.Settings = sim.State.Settings with { RunFor = TimeSpan.FromMinutes(5) };
        var client = sim.Client();
        var start = await client.StartAsync(sim.Account, Request(await UploadAsync(client)), default);

        var first = await client.CancelAsync(sim.Account, start.TaskId!, default);
        var second = await client.CancelAsync(sim.Account, start.TaskId!, default);
        var unknown = await client.CancelAsync(sim.Account, "1999999999999999999", default);
        var query = await client.QueryAsync(sim.Account, start.TaskId!, default);

        Assert.Equal(CallOutcome.Success, first.Outcome);
        Assert.Equal((CallOutcome.Error, "817"), (second.Outcome, second.Code));
        Assert.Equal((CallOutcome.NotFound, "807"), (unknown.Outcome, unknown.Code));
        Assert.Equal(RemoteTaskStatus.Cancelled, query.Status);
    }

    [Fact]
    public async Task AccountStatus_ReadsStringFigures()
    {
        var status = await sim.Client().GetAccountStatusAsync(sim.Account, default);

        Assert.Equal(CallOutcome.Success, status.Outcome);
        Assert.Equal(9999m, status.RemainCoins);
        Assert.Equal(0, status.CurrentTaskCounts);
        Assert.Equal("USD", status.Currency);
    }

    [Fact]
    public async Task StartThatNeverAnswers_IsUnknown_AndIsNeverRetried()
    {
        sim.State.Settings = sim.State.Settings with { StartHangs = true };
        var client = sim.Client(callTimeout: TimeSpan.FromMilliseconds(500));

        var start = await client.StartAsync(sim.Account, Request(await UploadAsync(client)), default);

        Assert.Equal(CallOutcome.Unknown, start.Outcome);

        // On a loaded machine the request may reach the simulator only after the client gave up: wait for it, then check none follows.
        await sim.WaitForAsync(() => Task.FromResult(sim.State.StartCalls), calls => calls >= 1);
        await Task.Delay(300);
        Assert.Equal(1, sim.State.StartCalls);
        Assert.Single(sim.State.Tasks); // the task exists at RunningHub: JobHub must not start a second
    }

    [Fact]
    public async Task UnreachableRunningHub_IsTransport_ForQuery_AndNotUnknownForARefusedStart()
    {
        var client = sim.Client(TimeSpan.FromSeconds(2));
        var nowhere = new RunningHubAccount("gone", "http://127.0.0.1:9", sim.ApiKey);

        var query = await client.QueryAsync(nowhere, "1", default);
        var start = await client.StartAsync(nowhere, Request("openapi/x.png"), default);

        Assert.Equal(CallOutcome.Transport, query.Outcome);
        Assert.Equal(CallOutcome.Transport, start.Outcome);
    }

    [Fact]
    public async Task NoKeyIsEverLogged()
    {
        var client = sim.Client(TimeSpan.FromMilliseconds(300));
        var secret = sim.Account;
        sim.State.Settings = sim.State.Settings with { StartHangs = true };

        await client.UploadAsync(secret, new MemoryStream(SampleMedia.Png(4, 4)), "a.png", "image/png", default);
        await client.StartAsync(secret, Request("openapi/x.png"), default);
        await client.QueryAsync(secret with { BaseUrl = "http://127.0.0.1:9" }, "1", default);
        await client.QueryAsync(secret, "1", default);

        Assert.NotEmpty(sim.Logs.Lines);
        Assert.DoesNotContain(sim.Logs.Lines, line => line.Contains(secret.ApiKey));
        Assert.DoesNotContain(secret.ApiKey, secret.ToString());
    }
}
