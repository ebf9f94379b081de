using System.Text.Json;
using JobHub.Core.Jobs;
using JobHub.Core.RunningHub;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Jobs;

/// <summary>R7: reconciliation applies RunningHub's answer for a running job, once, with the job's own account.</summary>
public sealed class ReconcileTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private static TaskQueryResult Answer(RemoteTaskStatus status, string raw, IReadOnlyList<TaskOutput>? outputs = null, string? errorCode = null,
        string? errorMessage = null, JsonElement? failedReason = null, TaskUsage? usage = null) =>
        new(CallOutcome.Success, status, outputs ?? [], usage, errorCode, errorMessage, failedReason, raw);

    [Fact]
    public async Task Reconcile_CompletesJob_WhenRunningHubSaysSuccess()
    {
        var job = await h.RunningJobAsync();
        h.RunningHub.QueryAnswer = _ => Answer(RemoteTaskStatus.Success, "SUCCESS", [new TaskOutput("https://rh.test/a.png", "9", "png")],
            usage: new TaskUsage(0.05m, null, null, 12m));

        var result = await h.Reconcile.HandleAsync(job.Id, JobCause.User, ownerId: job.UserId);

        Assert.Equal(ReconcileOutcome.Finished, result.Outcome);
        var done = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal("https://rh.test/a.png", Assert.Single(done.OutputFiles).Url);
        Assert.Equal(0.05m, done.CostMoney);
        Assert.Equal((job.AccountKey!, job.TaskId!), Assert.Single(h.RunningHub.Queries));
        Assert.Equal(7, await h.BalanceAsync(job.UserId));
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task Reconcile_FailsJobWithRunningHubsMessageAndReason_WhenTaskFailed()
    {
        var job = await h.RunningJobAsync();
        using var reason = JsonDocument.Parse("""{"node_id":"27","exception_type":"RuntimeError","exception_message":"CUDA out of memory"}""");
        h.RunningHub.QueryAnswer = _ => Answer(RemoteTaskStatus.Failed, "FAILED", errorCode: "805", errorMessage: "CUDA out of memory",
            failedReason: reason.RootElement.Clone());

        var result = await h.Reconcile.HandleAsync(job.Id, JobCause.Reconcile);

        Assert.Equal(ReconcileOutcome.Finished, result.Outcome);
        var failed = await h.GetJobAsync(job.Id);
        Assert.Equal((JobStatus.Failed, JobErrorCodes.RunningHubError, "CUDA out of memory", "805"),
            (failed.Status, failed.ErrorCode, failed.ErrorMessage, failed.ProviderCode));
        Assert.Contains("RuntimeError", failed.FailedReason);
        Assert.Equal(10, await h.BalanceAsync(job.UserId));
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task Reconcile_FailsJobTaskNotFound_WhenRunningHubDoesNotKnowTheTask()
    {
        var job = await h.RunningJobAsync();
        h.RunningHub.QueryAnswer = _ => new TaskQueryResult(CallOutcome.NotFound, RemoteTaskStatus.Unknown, [], null, Code: "1007",
            Message: "task not found");

        await h.Reconcile.HandleAsync(job.Id, JobCause.Reconcile);

        var failed = await h.GetJobAsync(job.Id);
        Assert.Equal((JobStatus.Failed, JobErrorCodes.RunningHubTaskNotFound, "1007"), (failed.Status, failed.ErrorCode, failed.ProviderCode));
        Assert.Equal(10, await h.BalanceAsync(job.UserId));
    }

    [Theory]
    [InlineData("RUNNING", false)]
    [InlineData("QUEUED", false)]
    [InlineData("PAUSED", true)]
    public async Task Reconcile_LeavesJobRunningAndRecordsTheCheck_WhenTaskIsNotFinished(string raw, bool undocumented)
    {
        var job = await h.RunningJobAsync();
        h.RunningHub.QueryAnswer = _ => Answer(RunningHubPayloads.ParseStatus(raw), raw);
        h.Clock.Advance(TimeSpan.FromMinutes(1));

        var result = await h.Reconcile.HandleAsync(job.Id, JobCause.User, ownerId: job.UserId);

        Assert.Equal(undocumented ? ReconcileOutcome.Unanswered : ReconcileOutcome.StillRunning, result.Outcome);
        var still = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Running, still.Status);
        Assert.Equal(h.Clock.GetUtcNow().UtcDateTime, still.LastCheckedAt);
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id} AND kind = 'checked'"));
        Assert.Equal(7, await h.BalanceAsync(job.UserId));
    }

    [Fact]
    public async Task Reconcile_ChecksWhoseAnswerChangedNothing_CountRepeatsOnOneEvent_AndANewAnswerAddsOne()
    {
        var job = await h.RunningJobAsync();
        var before = await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id}");
        h.RunningHub.QueryAnswer = _ => Answer(RemoteTaskStatus.Queued, "QUEUED");
        for (var i = 0; i < 30; i++)
        {
            h.Clock.Advance(TimeSpan.FromSeconds(15));
            await h.Reconcile.HandleAsync(job.Id, i % 2 == 0 ? JobCause.User : JobCause.Reconcile);
        }

        h.RunningHub.QueryAnswer = _ => Answer(RemoteTaskStatus.Running, "RUNNING");
        for (var i = 0; i < 5; i++)
        {
            h.Clock.Advance(TimeSpan.FromSeconds(15));
            await h.Reconcile.HandleAsync(job.Id, JobCause.Reconcile);
        }

        var checks = await h.QueryAsync<string>($"SELECT message || '|' || repeats FROM job_events WHERE job_id = {job.Id} AND kind = 'checked' ORDER BY id");
        Assert.Equal(["RunningHub: QUEUED|29", "RunningHub: RUNNING|4"], checks);
        Assert.Equal(before + 2, await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id}"));
        Assert.Equal(h.Clock.GetUtcNow().UtcDateTime,
            await h.ScalarAsync<DateTime>($"SELECT max(last_repeat_at) FROM job_events WHERE job_id = {job.Id}"));
        Assert.Equal(h.Clock.GetUtcNow().UtcDateTime, (await h.GetJobAsync(job.Id)).LastCheckedAt);
    }

    [Fact]
    public async Task Reconcile_ChangesNothing_WhenRunningHubCannotBeReached()
    {
        var job = await h.RunningJobAsync();
        h.RunningHub.QueryAnswer = _ => new TaskQueryResult(CallOutcome.Transport, RemoteTaskStatus.Unknown, [], null, Message: "connection refused");

        var result = await h.Reconcile.HandleAsync(job.Id, JobCause.Reconcile);

        Assert.Equal(ReconcileOutcome.Unanswered, result.Outcome);
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(job.Id)).Status);
    }

    [Fact]
    public async Task Reconcile_AnotherUsersJob_IsNotFound_AndNotQueried()
    {
        var job = await h.RunningJobAsync();
        h.RunningHub.QueryAnswer = _ => Answer(RemoteTaskStatus.Failed, "FAILED", errorMessage: "boom");

        var result = await h.Reconcile.HandleAsync(job.Id, JobCause.User, ownerId: await h.CreateUserAsync());

        Assert.Equal(ReconcileOutcome.NotFound, result.Outcome);
        Assert.Null(result.Job);
        Assert.Empty(h.RunningHub.Queries);
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(job.Id)).Status);
    }

    [Fact]
    public async Task Reconcile_QueuedJob_IsNotRunning_AndNotQueried()
    {
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            await h.RunningJobAsync();
        }

        var queued = (await h.SubmitAsync(await h.CreateUserAsync())).Job!;

        var result = await h.Reconcile.HandleAsync(queued.Id, JobCause.User, ownerId: queued.UserId);

        Assert.Equal((ReconcileOutcome.NotRunning, JobStatus.Queued), (result.Outcome, result.Job!.Status));
        Assert.Empty(h.RunningHub.Queries);
    }

    [Fact]
    public async Task Reconcile_ManyAtOnce_EndTheJobOnce_AndRefundOnce()
    {
        var job = await h.RunningJobAsync();
        h.RunningHub.QueryAnswer = _ => Answer(RemoteTaskStatus.Failed, "FAILED", errorCode: "805", errorMessage: "boom");

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => h.Reconcile.HandleAsync(job.Id, JobCause.Reconcile)));

        Assert.Single(results, r => r.Outcome == ReconcileOutcome.Finished);
        Assert.All(results, r => Assert.Contains(r.Outcome, new[] { ReconcileOutcome.Finished, ReconcileOutcome.AlreadyFinished, ReconcileOutcome.NotRunning }));
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM credit_ledger WHERE job_id = {job.Id} AND kind = 'refund'"));
        Assert.Equal(10, await h.BalanceAsync(job.UserId));
        await h.AssertCreditsConsistentAsync();
    }
}
