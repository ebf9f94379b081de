using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>The rules hold under many parallel callers: R1, R2, R4, R6, R12.</summary>
public sealed class ConcurrencyTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task TwoHundredUsersInParallel_NeverMoreThanThreeActive_FifoStarts_EveryJobAccountedFor()
    {
        const int users = 200;
        var userIds = await Task.WhenAll(Enumerable.Range(0, users).Select(_ => h.CreateUserAsync(50)));
        var tools = new[] { "image-upscaler", "pose-changer", "virtual-try-on", "video-upscaler" };
        var inputs = new Dictionary<string, IReadOnlyList<StoredInput>>();
        foreach (var tool in tools)
        {
            inputs[tool] = await h.InputsForAsync(tool);
        }

        using var start = new SemaphoreSlim(0);
        var submissions = userIds.Select((user, i) => Task.Run(async () =>
        {
            await start.WaitAsync();
            var tool = tools[i % tools.Length];
            return await h.Submit.HandleAsync(new SubmitJobRequest(user, tool, inputs[tool], new Dictionary<string, string?>()));
        })).ToList();
        start.Release(users);
        var results = await Task.WhenAll(submissions);

        Assert.All(results, r => Assert.True(r.Succeeded, r.ErrorMessage));
        Assert.Equal(3, results.Count(r => r.Job!.Status == JobStatus.Starting));
        Assert.Equal(users - 3, results.Count(r => r.Job!.Status == JobStatus.Queued));

        // Drain: finish whatever runs, in parallel bursts, until every job is terminal.
        var random = new Random(7);
        for (var round = 0; round < 1000; round++)
        {
            await h.Launcher.WhenIdleAsync();
            var running = await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running'");
            if (running.Count == 0 && await h.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE status <> 'completed' AND status <> 'failed'") == 0)
            {
                break;
            }

            await Task.WhenAll(running.Select(id => random.Next(10) == 0
                ? h.Finish.FailAsync(id, new JobFailure(JobErrorCodes.RunningHubError, "boom", "805", "boom"), JobCause.Webhook)
                : h.Finish.CompleteAsync(id, [], null, JobCause.Webhook)));
        }

        Assert.Equal(users, await h.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE status IN ('completed', 'failed')"));
        Assert.Equal(3, await h.MaxInSlotFromEventsAsync());

        // R2: queued jobs entered their slots in the order they were queued.
        var promotedOrder = await h.QueryAsync<Guid>($"""
            SELECT e.job_id FROM job_events e WHERE e.kind = 'transition' AND e.from_status = 'queued' AND e.to_status = 'starting' ORDER BY e.id
            """);
        var queuedOrder = await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE waited_in_queue ORDER BY queued_at, queue_seq");
        Assert.Equal(queuedOrder, promotedOrder);
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task OneUser_TwentyParallelSubmissions_MakeExactlyOneJobAndOneDebit()
    {
        var user = await h.CreateUserAsync(100);
        var inputs = await h.InputsForAsync("pose-changer");
        using var start = new SemaphoreSlim(0);
        var attempts = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            await start.WaitAsync();
            return await h.Submit.HandleAsync(new SubmitJobRequest(user, "pose-changer", inputs, new Dictionary<string, string?>()));
        })).ToList();
        start.Release(20);
        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r =>
        {
            Assert.Equal(SubmitErrors.ActiveJobExists, r.ErrorCode);
            Assert.Equal("You already have a job in progress. Wait for it to finish.", r.ErrorMessage);
        });
        Assert.Equal(1, await h.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE user_id = {user}"));
        Assert.Equal(1, await h.ScalarAsync<long>($"SELECT count(*) FROM credit_ledger WHERE user_id = {user} AND kind = 'debit'"));
        Assert.Equal(97, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task DuplicateAndRacingFinishes_OneTerminalState_AtMostOneRefund()
    {
        var user = await h.CreateUserAsync(100);
        var job = (await h.SubmitAsync(user)).Job!;
        await h.Launcher.WhenIdleAsync();

        var racers = new List<Task<TerminationResult>>();
        for (var i = 0; i < 10; i++)
        {
            racers.Add(h.Finish.FailAsync(job.Id, new JobFailure(JobErrorCodes.RunningHubError, "GPU fault", "805", "GPU fault"), JobCause.Webhook));
            racers.Add(h.Finish.CompleteAsync(job.Id, [new JobOutput("https://x.test/o.png", "1", "png")], null, JobCause.Reconcile));
            racers.Add(h.Cancel.HandleAsync(new CancelJobRequest(job.Id, user, JobCause.User, JobErrorCodes.CancelledByUser, "stop")));
        }

        var results = await Task.WhenAll(racers);

        Assert.Single(results, r => r.Outcome == TerminationOutcome.Changed);
        Assert.Equal(29, results.Count(r => r.Outcome == TerminationOutcome.Ignored));
        var final = await h.GetJobAsync(job.Id);
        Assert.True(JobStatus.IsTerminal(final.Status));
        Assert.NotNull(final.CompletedAt);
        Assert.Equal(final.Status == JobStatus.Completed ? 97 : 100, await h.BalanceAsync(user));
        Assert.Equal(29, await h.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {job.Id} AND kind = 'ignored'"));
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task LateFinish_AfterCancel_ChangesNothing()
    {
        var user = await h.CreateUserAsync(10);
        var job = (await h.SubmitAsync(user)).Job!;
        await h.Launcher.WhenIdleAsync();

        await h.Cancel.HandleAsync(new CancelJobRequest(job.Id, user, JobCause.User, JobErrorCodes.CancelledByUser, "stop"));
        var late = await h.Finish.CompleteAsync(job.Id, [new JobOutput("https://x.test/o.png", "1", "png")], null, JobCause.Webhook);
        var again = await h.Cancel.HandleAsync(new CancelJobRequest(job.Id, user, JobCause.User, JobErrorCodes.CancelledByUser, "stop"));

        Assert.Equal(TerminationOutcome.Ignored, late.Outcome);
        Assert.Equal(TerminationOutcome.Ignored, again.Outcome);
        Assert.Equal(JobStatus.Cancelled, (await h.GetJobAsync(job.Id)).Status);
        Assert.Equal(10, await h.BalanceAsync(user));
        Assert.Single(h.RunningHub.Cancels);
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task ReleaseRacingASubmission_NeverLeavesAJobQueuedBesideAFreeSlot()
    {
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            await h.RunningJobAsync();
        }

        for (var round = 0; round < 40; round++)
        {
            var oldest = await h.ScalarAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running' ORDER BY started_at, id LIMIT 1");
            var user = await h.CreateUserAsync();
            var inputs = await h.InputsForAsync("pose-changer");
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var finish = Task.Run(async () => { await gate.Task; await h.Finish.CompleteAsync(oldest, [], null, JobCause.Webhook); });
            var submit = Task.Run(async () =>
            {
                await gate.Task;
                await h.Submit.HandleAsync(new SubmitJobRequest(user, "pose-changer", inputs, new Dictionary<string, string?>()));
            });
            gate.SetResult();
            await Task.WhenAll(finish, submit);
            await h.Launcher.WhenIdleAsync();

            // One statement, so both counts come from one snapshot.
            var counts = (await h.ScalarAsync<string>($"""
                SELECT count(*) FILTER (WHERE status IN ('starting', 'running')) || ' ' || count(*) FILTER (WHERE status = 'queued') FROM jobs
                """)).Split(' ').Select(int.Parse).ToArray();
            var (inSlot, queued) = (counts[0], counts[1]);
            Assert.True(queued == 0 || inSlot == h.MaxConcurrent, $"round {round}: {queued} queued beside {h.MaxConcurrent - inSlot} free slot(s)");
        }

        Assert.True(await h.MaxInSlotFromEventsAsync() <= h.MaxConcurrent);
        await h.AssertCreditsConsistentAsync();
    }
}
