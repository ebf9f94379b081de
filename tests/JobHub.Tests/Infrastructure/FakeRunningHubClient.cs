using System.Collections.Concurrent;
using JobHub.Core.RunningHub;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// The engine tests' stand-in for RunningHub (the end-to-end tests use the real client and the simulator).
/// Start calls succeed unless the test scripts other outcomes; every call is recorded.
/// </summary>
public sealed class FakeRunningHubClient : IRunningHubClient
{
    private long nextTask = 1_900_000_000_000_000_000;

    public ConcurrentQueue<StartResult> ScriptedStarts { get; } = new();
    public ConcurrentQueue<(string Account, StartRequest Request)> Starts { get; } = new();
    public ConcurrentQueue<(string Account, string FileName, string ContentType)> Uploads { get; } = new();
    public ConcurrentQueue<(string Account, string TaskId)> Cancels { get; } = new();

    /// <summary>Runs inside the start call before it answers (to hold a launch open, say).</summary>
    public Func<Task>? BeforeStartAnswers { get; set; }

    public UploadResult? UploadOutcome { get; set; }

    private readonly TaskCompletionSource held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Makes every start call wait until <see cref="ReleaseHeldStarts"/> (jobs stay <c>starting</c>).</summary>
    public void HoldStarts() => BeforeStartAnswers = () => held.Task;

    public void ReleaseHeldStarts() => held.TrySetResult();

    public Task<UploadResult> UploadAsync(RunningHubAccount account, Stream content, string fileName, string contentType, CancellationToken cancellationToken)
    {
        Uploads.Enqueue((account.Key, fileName, contentType));
        return Task.FromResult(UploadOutcome ?? new UploadResult(CallOutcome.Success, $"openapi/{Guid.NewGuid():N}{Path.GetExtension(fileName)}"));
    }

    public async Task<StartResult> StartAsync(RunningHubAccount account, StartRequest request, CancellationToken cancellationToken)
    {
        Starts.Enqueue((account.Key, request));
        if (BeforeStartAnswers is { } before)
        {
            await before();
        }

        return ScriptedStarts.TryDequeue(out var scripted)
            ? scripted
            : new StartResult(CallOutcome.Success, Interlocked.Increment(ref nextTask).ToString());
    }

    /// <summary>What a query answers, by task id; default: the task is still running.</summary>
    public Func<string, TaskQueryResult> QueryAnswer { get; set; } = _ => new TaskQueryResult(CallOutcome.Success, RemoteTaskStatus.Running, [], null, RawStatus: "RUNNING");

    public ConcurrentQueue<(string Account, string TaskId)> Queries { get; } = new();

    public Task<TaskQueryResult> QueryAsync(RunningHubAccount account, string taskId, CancellationToken cancellationToken)
    {
        Queries.Enqueue((account.Key, taskId));
        return Task.FromResult(QueryAnswer(taskId));
    }

    public Task<CallResult> CancelAsync(RunningHubAccount account, string taskId, CancellationToken cancellationToken)
    {
        Cancels.Enqueue((account.Key, taskId));
        return Task.FromResult(new CallResult(CallOutcome.Success));
    }

    public Task<AccountStatusResult> GetAccountStatusAsync(RunningHubAccount account, CancellationToken cancellationToken) =>
        Task.FromResult(new AccountStatusResult(CallOutcome.Success, 100, 0, 10, "USD"));
}
