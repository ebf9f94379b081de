using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.RunningHub;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>R1–R3, R12: who starts, who queues, who is promoted.</summary>
public sealed class AdmissionTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private async Task<Job> RunningJobAsync(string tool = "pose-changer")
    {
        var result = await h.SubmitAsync(await h.CreateUserAsync(), tool);
        await h.Launcher.WhenIdleAsync();
        return await h.GetJobAsync(result.Job!.Id);
    }

    [Fact]
    public async Task Submit_StartsJob_WhileSlotsAreFree()
    {
        for (var active = 0; active < 3; active++)
        {
            var result = await h.SubmitAsync(await h.CreateUserAsync());

            Assert.True(result.Succeeded, result.ErrorMessage);
            Assert.Equal(JobStatus.Starting, result.Job!.Status);
            Assert.False(result.Job.WaitedInQueue);
            Assert.Null(result.QueuePosition);
            await h.Launcher.WhenIdleAsync();
            Assert.Equal(JobStatus.Running, (await h.GetJobAsync(result.Job.Id)).Status);
        }
    }

    [Fact]
    public async Task Submit_QueuesJob_WhenAllSlotsBusy_AndLaterOnesQueueBehind()
    {
        for (var i = 0; i < 3; i++)
        {
            await RunningJobAsync();
        }

        var fourth = await h.SubmitAsync(await h.CreateUserAsync());
        var fifth = await h.SubmitAsync(await h.CreateUserAsync(), "virtual-try-on");
        var sixth = await h.SubmitAsync(await h.CreateUserAsync(), "image-upscaler");

        Assert.Equal(JobStatus.Queued, fourth.Job!.Status);
        Assert.True(fourth.Job.WaitedInQueue);
        Assert.Equal(1, fourth.QueuePosition);
        Assert.Equal(2, fifth.QueuePosition);
        Assert.Equal(3, sixth.QueuePosition);
        Assert.Equal([fourth.Job.Id, fifth.Job!.Id, sixth.Job!.Id], (await h.Queue.GetQueueAsync()).Select(e => e.JobId));
        Assert.Equal(3, h.RunningHub.Starts.Count);
    }

    [Fact]
    public async Task Submit_IsOneRoundTrip_WithTheLockTheJobTheDebitAndThePosition()
    {
        for (var i = 0; i < 3; i++)
        {
            await RunningJobAsync();
        }

        var user = await h.CreateUserAsync(credits: 10);
        var inputs = await h.InputsForAsync("pose-changer");
        var (result, commands) = await CommandTrace.RunAsync(() =>
            h.Submit.HandleAsync(new SubmitJobRequest(user, "pose-changer", inputs, new Dictionary<string, string?>())));

        Assert.Equal((JobStatus.Queued, 1), (result.Job!.Status, result.QueuePosition));
        var command = Assert.Single(commands);
        Assert.All(["pg_advisory_xact_lock(", "INSERT INTO jobs", "INSERT INTO job_events", "INSERT INTO credit_ledger", "queue_count"],
            part => Assert.Contains(part, command));
        Assert.DoesNotContain("pg_notify", command); // after the commit, out of the lock's hold (JobChangeFeed)
        Assert.Equal(10 - result.Job.CreditCost, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task Submit_ReportsItsPlace_AfterJobsAheadLeftTheQueue()
    {
        for (var i = 0; i < 3; i++)
        {
            await RunningJobAsync();
        }

        var queued = new List<Job>();
        for (var i = 0; i < 4; i++)
        {
            queued.Add((await h.SubmitAsync(await h.CreateUserAsync())).Job!);
        }

        await h.Cancel.HandleAsync(new CancelJobRequest(queued[1].Id, queued[1].UserId, JobCause.User, JobErrorCodes.CancelledByUser, "no"));
        var oldest = await h.ScalarAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running' ORDER BY started_at, id LIMIT 1");
        await h.Finish.CompleteAsync(oldest, [], null, JobCause.Webhook); // promotes queued[0]
        await h.Launcher.WhenIdleAsync();

        var next = await h.SubmitAsync(await h.CreateUserAsync());

        Assert.Equal(3, next.QueuePosition); // behind queued[2] and queued[3]
        Assert.Equal(3, await h.Queue.PositionAsync(next.Job!.Id));
        Assert.Equal(3, await h.ScalarAsync<int>($"SELECT queued FROM queue_count"));
    }

    [Fact]
    public async Task Submit_ThatCannotBePaid_IsOneRoundTrip_AndCreatesNothing()
    {
        var user = await h.CreateUserAsync(credits: 1);
        var inputs = await h.InputsForAsync("pose-changer");
        var (result, commands) = await CommandTrace.RunAsync(() =>
            h.Submit.HandleAsync(new SubmitJobRequest(user, "pose-changer", inputs, new Dictionary<string, string?>())));

        Assert.Equal(SubmitErrors.InsufficientCredits, result.ErrorCode);
        Assert.Equal("1", result.ErrorArguments[1]);
        Assert.Single(commands);
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs WHERE user_id = {user}"));
        Assert.Equal(1, await h.BalanceAsync(user));
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM credit_ledger WHERE user_id = {user}"));
    }

    [Fact]
    public async Task Finish_PromotesExactlyTheOldestQueuedJob_AcrossTools()
    {
        var running = new List<Job>();
        for (var i = 0; i < 3; i++)
        {
            running.Add(await RunningJobAsync(i == 0 ? "image-upscaler" : "pose-changer"));
        }

        var oldest = await h.SubmitAsync(await h.CreateUserAsync(), "virtual-try-on");
        var younger = await h.SubmitAsync(await h.CreateUserAsync(), "image-upscaler");

        await h.Finish.CompleteAsync(running[0].Id, [new JobOutput("https://example.test/out.png", "9", "png")], null, JobCause.Webhook);
        await h.Launcher.WhenIdleAsync();

        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(oldest.Job!.Id)).Status);
        Assert.Equal(JobStatus.Queued, (await h.GetJobAsync(younger.Job!.Id)).Status);
        Assert.Equal(1, await h.Queue.PositionAsync(younger.Job.Id));
        Assert.Equal(3, (await h.Queue.GetSlotsAsync()).InSlot);
    }

    [Fact]
    public async Task Submit_Queues_WhenOlderJobsWait_EvenIfASlotIsFree()
    {
        for (var i = 0; i < 3; i++)
        {
            await RunningJobAsync();
        }

        var waiting = await h.SubmitAsync(await h.CreateUserAsync());
        // Hold the promoted job's launch open so the head stays in the queue, then free a slot behind its back.
        await h.ScalarAsync<int>($"UPDATE jobs SET next_attempt_at = {h.Clock.GetUtcNow().UtcDateTime.AddMinutes(5)} WHERE id = {waiting.Job!.Id} RETURNING 1");
        var first = (await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running' LIMIT 1"))[0];
        await h.Finish.CompleteAsync(first, [], null, JobCause.Webhook);

        var newcomer = await h.SubmitAsync(await h.CreateUserAsync());

        Assert.Equal(JobStatus.Queued, newcomer.Job!.Status);
        Assert.Equal(2, newcomer.QueuePosition);
        Assert.Equal(2, (await h.Queue.GetSlotsAsync()).InSlot);
    }

    [Fact]
    public async Task Promote_StartsBackedOffHead_OnceItsBackoffEnds()
    {
        for (var i = 0; i < 3; i++)
        {
            await RunningJobAsync();
        }

        var waiting = await h.SubmitAsync(await h.CreateUserAsync());
        await h.ScalarAsync<int>($"UPDATE jobs SET next_attempt_at = {h.Clock.GetUtcNow().UtcDateTime.AddSeconds(30)} WHERE id = {waiting.Job!.Id} RETURNING 1");
        var first = (await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running' LIMIT 1"))[0];
        await h.Finish.CompleteAsync(first, [], null, JobCause.Webhook);
        Assert.Empty(await h.Launcher.PromoteAsync(JobCause.Sweep));

        h.Clock.Advance(TimeSpan.FromSeconds(31));
        var promoted = await h.Launcher.PromoteAsync(JobCause.Sweep);
        await h.Launcher.WhenIdleAsync();

        Assert.Equal([waiting.Job.Id], promoted);
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(waiting.Job.Id)).Status);
    }

    [Fact]
    public async Task CancelQueued_DoesNotStartAnything_AndLaterJobsMoveUp()
    {
        for (var i = 0; i < 3; i++)
        {
            await RunningJobAsync();
        }

        var a = await h.SubmitAsync(await h.CreateUserAsync());
        var b = await h.SubmitAsync(await h.CreateUserAsync());

        var result = await h.Cancel.HandleAsync(new CancelJobRequest(a.Job!.Id, a.Job.UserId, JobCause.User, JobErrorCodes.CancelledByUser, "changed my mind"));

        Assert.Equal(TerminationOutcome.Changed, result.Outcome);
        Assert.Empty(result.Promoted);
        Assert.Equal(1, await h.Queue.PositionAsync(b.Job!.Id));
        Assert.Equal(3, h.RunningHub.Starts.Count);
    }
}

/// <summary>R1 on its own: the accounts together have room for six, JobHub's limit is three, and it holds under concurrent submissions.</summary>
public sealed class GlobalSlotLimitTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync(new Dictionary<string, string?>
    {
        ["JobHub:MaxConcurrent"] = "3",
        ["JobHub:RunningHub:Accounts:0:Key"] = "primary",
        ["JobHub:RunningHub:Accounts:0:ApiKey"] = "key-primary",
        ["JobHub:RunningHub:Accounts:0:MaxConcurrent"] = "3",
        ["JobHub:RunningHub:Accounts:1:Key"] = "secondary",
        ["JobHub:RunningHub:Accounts:1:ApiKey"] = "key-secondary",
        ["JobHub:RunningHub:Accounts:1:MaxConcurrent"] = "3",
    });

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task ConcurrentSubmissions_NeverFillMoreThanMaxConcurrentSlots_ThoughTheAccountsHaveRoomForMore()
    {
        var users = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            users.Add(await h.CreateUserAsync());
        }

        var results = await Task.WhenAll(users.Select(user => Task.Run(() => h.SubmitAsync(user))));
        await h.Launcher.WhenIdleAsync();

        Assert.All(results, r => Assert.True(r.Succeeded, r.ErrorMessage));
        Assert.Equal(3, results.Count(r => r.Job!.Status == JobStatus.Starting));
        Assert.Equal(Enumerable.Range(1, 9), results.Where(r => r.QueuePosition is not null).Select(r => r.QueuePosition!.Value).Order());
        Assert.Equal(3, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs WHERE status IN ('starting', 'running')"));
        Assert.Equal(3, await h.MaxInSlotFromEventsAsync());
    }
}
