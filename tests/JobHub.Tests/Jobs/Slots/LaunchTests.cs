using JobHub.Core.Jobs;
using JobHub.Core.RunningHub;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>R5, R9, R11: the one launch path and what each RunningHub answer does to the job.</summary>
public sealed class LaunchTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private async Task FillSlotsAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            await h.SubmitAsync(await h.CreateUserAsync());
        }

        await h.Launcher.WhenIdleAsync();
    }

    [Fact]
    public async Task Stop_FinishesTheLaunchUnderWay_AndRecordsRunningHubsAnswer()
    {
        h.RunningHub.HoldStarts();
        var job = (await h.SubmitAsync(await h.CreateUserAsync())).Job!;
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(h.RunningHub.Starts.Count == 1)));

        var stopping = h.Launcher.StopAsync();
        Assert.NotSame(stopping, await Task.WhenAny(stopping, Task.Delay(300))); // the instance waits for RunningHub's answer
        h.RunningHub.ReleaseHeldStarts();
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));

        var launched = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Running, launched.Status);
        Assert.NotNull(launched.TaskId);
    }

    [Fact]
    public async Task Launch_BuildsTheRequestFromTheJobRow_WithNodeMappingAndWebhookUrl()
    {
        var user = await h.CreateUserAsync();
        var result = await h.SubmitAsync(user, "image-upscaler", new Dictionary<string, string?>
        {
            ["version"] = "pro", ["category"] = "people", ["framing"] = "close", ["resolution"] = "4k", ["prompt"] = "sharp eyes",
        });
        await h.Launcher.WhenIdleAsync();

        var job = await h.GetJobAsync(result.Job!.Id);
        var (account, request) = Assert.Single(h.RunningHub.Starts);
        Assert.Equal(JobStatus.Running, job.Status);
        Assert.Equal("2015865378030755841", request.WebappId);
        Assert.Equal(job.WebappId, request.WebappId);
        Assert.Equal(job.AccountKey, account);
        var upload = Assert.Single(h.RunningHub.Uploads);
        Assert.Equal("image/png", upload.ContentType);
        // The close-portrait pro app's real nodes: image 26, detail 25 (its default), resolution 73 (4K → 4096), editing 91, prompt 128.
        Assert.Equal(new[] { "25", "26", "73", "91", "128" }.Order(), request.Nodes.Select(n => n.NodeId).Order());
        Assert.Contains(request.Nodes, n => n is { NodeId: "26", FieldName: "image" } && n.FieldValue.StartsWith("openapi/"));
        Assert.Contains(request.Nodes, n => n is { NodeId: "25", FieldName: "value", FieldValue: "0.15" });
        Assert.Contains(request.Nodes, n => n is { NodeId: "73", FieldName: "value", FieldValue: "4096" });
        Assert.Contains(request.Nodes, n => n is { NodeId: "91", FieldName: "value", FieldValue: "0.1" });
        Assert.Contains(request.Nodes, n => n is { NodeId: "128", FieldName: "text", FieldValue: "sharp eyes" });
        Assert.Matches($"/api/webhooks/runninghub/{job.Id}\\?token=[A-Za-z0-9_-]{{43}}$", request.WebhookUrl);
        Assert.NotNull(job.TaskId);
        Assert.NotNull(job.StartedAt);
    }

    [Fact]
    public async Task PromotedJob_TakesTheSameLaunchPath_AsAnImmediateOne()
    {
        await FillSlotsAsync();
        var queued = await h.SubmitAsync(await h.CreateUserAsync(), "virtual-try-on");
        var first = (await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running' LIMIT 1"))[0];

        await h.Finish.CompleteAsync(first, [], null, JobCause.Webhook);
        await h.Launcher.WhenIdleAsync();

        var request = h.RunningHub.Starts.Last().Request;
        Assert.Equal("2018755100210106369", request.WebappId);
        Assert.Equal(["41", "43"], request.Nodes.Select(n => n.NodeId).Order());
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(queued.Job!.Id)).Status);
    }

    [Theory]
    [InlineData("421", "TASK_QUEUE_MAXED")]
    [InlineData("415", "TASK_INSTANCE_MAXED")]
    [InlineData("1520", "user concurrency limit")]
    public async Task CapacityError_RequeuesAtTheHead_WithoutASecondCharge(string code, string message)
    {
        await FillSlotsAsync();
        var waiting = await h.SubmitAsync(await h.CreateUserAsync());
        var user = await h.CreateUserAsync(10);
        h.RunningHub.ScriptedStarts.Enqueue(new StartResult(CallOutcome.Capacity, null, code, message));
        var running = (await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running'")).ToList();

        // The waiting job is promoted, hits capacity, and goes back to the head of the queue.
        await h.Finish.CompleteAsync(running[0], [], null, JobCause.Webhook);
        for (var i = 0; i < 200 && (await h.GetJobAsync(waiting.Job!.Id)).LaunchAttempts == 0; i++)
        {
            await Task.Delay(10);
        }

        var later = await h.SubmitAsync(user);
        var requeued = await h.GetJobAsync(waiting.Job!.Id);
        Assert.Equal(1, requeued.LaunchAttempts);
        Assert.Contains(requeued.Status, new[] { JobStatus.Queued, JobStatus.Starting, JobStatus.Running });
        if (requeued.Status == JobStatus.Queued)
        {
            Assert.Equal(1, await h.Queue.PositionAsync(requeued.Id));
        }

        // After its back-off it starts, before the later job (the in-process timer or, as here, the sweep promotes it).
        await h.Launcher.WhenIdleAsync();
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        await h.Launcher.PromoteAsync(JobCause.Sweep);
        await h.Launcher.WhenIdleAsync();
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(waiting.Job.Id)).Status);
        Assert.Equal(JobStatus.Queued, (await h.GetJobAsync(later.Job!.Id)).Status);
        Assert.Equal(1, await h.ScalarAsync<long>($"SELECT count(*) FROM credit_ledger WHERE job_id = {waiting.Job.Id}"));
        Assert.Null((await h.GetJobAsync(waiting.Job.Id)).ErrorCode);
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task OtherError_FailsWithRunningHubsWordsVerbatim_Refunds_AndPromotesTheNext()
    {
        await FillSlotsAsync();
        var user = await h.CreateUserAsync(10);
        var failing = await h.SubmitAsync(user);
        var next = await h.SubmitAsync(await h.CreateUserAsync());
        h.RunningHub.ScriptedStarts.Enqueue(new StartResult(CallOutcome.Error, null, "433", "prompt validation failed: node 60 missing image"));
        var running = await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running'");

        await h.Finish.CompleteAsync(running[0], [], null, JobCause.Webhook);
        await h.Launcher.WhenIdleAsync();

        var failed = await h.GetJobAsync(failing.Job!.Id);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal(JobErrorCodes.RunningHubError, failed.ErrorCode);
        Assert.Equal("433", failed.ProviderCode);
        Assert.Equal("prompt validation failed: node 60 missing image", failed.ProviderMessage);
        Assert.Equal("prompt validation failed: node 60 missing image", failed.ErrorMessage);
        Assert.Equal(10, await h.BalanceAsync(user));
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(next.Job!.Id)).Status);
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task UnknownStartOutcome_FailsWithStartUnknown_AndRefunds()
    {
        var user = await h.CreateUserAsync(10);
        h.RunningHub.ScriptedStarts.Enqueue(new StartResult(CallOutcome.Unknown, null, null, "timed out after sending"));

        var job = (await h.SubmitAsync(user)).Job!;
        await h.Launcher.WhenIdleAsync();

        var failed = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal(JobErrorCodes.RunningHubStartUnknown, failed.ErrorCode);
        Assert.Equal(10, await h.BalanceAsync(user));
        Assert.Single(h.RunningHub.Starts);
    }

    [Fact]
    public async Task FailedUpload_FailsTheJob_WithoutStartingATask()
    {
        var user = await h.CreateUserAsync(10);
        h.RunningHub.UploadOutcome = new UploadResult(CallOutcome.Error, null, "809", "file too large");

        var job = (await h.SubmitAsync(user)).Job!;
        await h.Launcher.WhenIdleAsync();

        var failed = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal("809", failed.ProviderCode);
        Assert.Empty(h.RunningHub.Starts);
        Assert.Equal(10, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task CancelWhileStarting_CancelsTheTaskRunningHubStartsAfterwards()
    {
        var user = await h.CreateUserAsync(10);
        var release = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        h.RunningHub.BeforeStartAnswers = async () =>
        {
            entered.TrySetResult();
            await release.Task;
        };

        var job = (await h.SubmitAsync(user)).Job!;
        await entered.Task;
        await h.Cancel.HandleAsync(new CancelJobRequest(job.Id, user, JobCause.User, JobErrorCodes.CancelledByUser, "stop"));
        release.SetResult();
        await h.Launcher.WhenIdleAsync();

        Assert.Equal(JobStatus.Cancelled, (await h.GetJobAsync(job.Id)).Status);
        Assert.Single(h.RunningHub.Cancels);
        Assert.Equal(10, await h.BalanceAsync(user));
    }
}

public sealed class AccountSelectionTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync(new Dictionary<string, string?>
    {
        ["JobHub:MaxConcurrent"] = "4",
        ["JobHub:RunningHub:Accounts:0:Key"] = "primary",
        ["JobHub:RunningHub:Accounts:0:ApiKey"] = "key-primary",
        ["JobHub:RunningHub:Accounts:0:MaxConcurrent"] = "3",
        ["JobHub:RunningHub:Accounts:1:Key"] = "secondary",
        ["JobHub:RunningHub:Accounts:1:ApiKey"] = "key-secondary",
        ["JobHub:RunningHub:Accounts:1:MaxConcurrent"] = "1",
    });

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task Jobs_TakeTheLeastLoadedAccountWithRoom_AndEachAccountKeepsItsLimit()
    {
        var accounts = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            var result = await h.SubmitAsync(await h.CreateUserAsync());
            accounts.Add(result.Job!.AccountKey);
        }

        await h.Launcher.WhenIdleAsync();

        Assert.Equal(["primary", "secondary", "primary", "primary", null], accounts);
        var slots = await h.Queue.GetSlotsAsync();
        Assert.Equal(3, slots.Accounts.Single(a => a.AccountKey == "primary").InSlot);
        Assert.Equal(1, slots.Accounts.Single(a => a.AccountKey == "secondary").InSlot);
        Assert.Equal(1, slots.Queued);
        // Every call for a job uses the account it recorded.
        Assert.All(await h.QueryAsync<string>($"SELECT account_key FROM jobs WHERE status = 'running'"),
            account => Assert.Contains(h.RunningHub.Starts, s => s.Account == account));
    }
}
