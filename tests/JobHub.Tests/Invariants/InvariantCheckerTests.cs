using JobHub.Core.Invariants;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Invariants;

/// <summary>The checker finds nothing after a busy, correct run, and finds each kind of broken promise when the rows are forged.</summary>
public sealed class InvariantCheckerTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private Task<IReadOnlyList<Violation>> CheckAsync() => h.Services.GetRequiredService<InvariantChecker>().CheckAsync();

    private async Task<List<Job>> BusyAsync()
    {
        var jobs = new List<Job>();
        foreach (var _ in Enumerable.Range(0, 8))
        {
            jobs.Add((await h.SubmitAsync(await h.CreateUserAsync(20))).Job!);
        }

        await h.Launcher.WhenIdleAsync();
        return jobs;
    }

    [Fact]
    public async Task ABusyCorrectRun_HasNoViolations()
    {
        var jobs = await BusyAsync();
        await Task.WhenAll(
            h.Finish.CompleteAsync(jobs[0].Id, [], null, JobCause.Webhook),
            h.Finish.FailAsync(jobs[1].Id, new JobFailure(JobErrorCodes.RunningHubError, "boom"), JobCause.Webhook),
            h.Cancel.HandleAsync(new CancelJobRequest(jobs[7].Id, jobs[7].UserId, JobCause.User, JobErrorCodes.CancelledByUser, "no")));
        await h.Launcher.WhenIdleAsync();

        Assert.Empty(await CheckAsync());
    }

    [Fact]
    public async Task AKeptQueueCountThatIsNotTheQueue_IsR2()
    {
        await BusyAsync();
        Assert.Empty(await CheckAsync());
        await h.ScalarAsync<int>($"UPDATE queue_count SET queued = queued + 1; SELECT 1");

        var violation = Assert.Single(await CheckAsync());
        Assert.Equal(("R2", "queue_count"), (violation.Rule, violation.Subject));
    }

    [Fact]
    public async Task MoreJobsInSlotsThanAllowed_IsR1()
    {
        await BusyAsync();
        var extra = (await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'queued' LIMIT 1")).Single();
        await h.ScalarAsync<int>($"""
            UPDATE jobs SET status = 'running', task_id = 'forged', started_at = now() WHERE id = {extra};
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause) VALUES ({extra}, now(), 'transition', 'queued', 'running', 'system');
            SELECT 1
            """);

        Assert.Contains(await CheckAsync(), v => v.Rule == "R1");
    }

    [Fact]
    public async Task ALaterJobStartingBeforeAnEarlierOne_IsR2()
    {
        await BusyAsync();
        var later = (await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'queued' ORDER BY queued_at DESC, queue_seq DESC LIMIT 1")).Single();
        var running = (await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running' LIMIT 1")).Single();
        await h.Finish.CompleteAsync(running, [], null, JobCause.Webhook); // promotes the head, correctly
        await h.Launcher.WhenIdleAsync();
        Assert.DoesNotContain(await CheckAsync(), v => v.Rule == "R2");

        await h.ScalarAsync<int>($"""
            UPDATE jobs SET status = 'starting', starting_at = now() WHERE id = {later};
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause) VALUES ({later}, now(), 'transition', 'queued', 'starting', 'system');
            SELECT 1
            """);

        Assert.Contains(await CheckAsync(), v => v.Rule == "R2" && v.Subject == later.ToString());
    }

    [Fact]
    public async Task TwoActiveJobsForOneUser_IsR4()
    {
        var job = (await h.SubmitAsync(await h.CreateUserAsync(20))).Job!;
        await h.ScalarAsync<int>($"""
            DROP INDEX jobs_one_active_per_user;
            INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, queued_at, queue_seq, updated_at)
            VALUES (gen_random_uuid(), {job.UserId}, 'pose-changer', 'queued', 0, now(), now(), nextval('jobs_queue_seq'), now());
            SELECT 1
            """);

        Assert.Contains(await CheckAsync(), v => v.Rule == "R4" && v.Subject == job.UserId.ToString());
    }

    [Fact]
    public async Task ARefundForACompletedJob_OrABalanceThatIsNotItsLedger_IsR6()
    {
        var job = await h.RunningJobAsync();
        await h.Finish.CompleteAsync(job.Id, [], null, JobCause.Webhook);
        await h.ScalarAsync<int>($"""
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, created_at) VALUES ({job.UserId}, {job.Id}, 'refund', 3, 10, now());
            UPDATE users SET credit_balance = 10 WHERE id = {job.UserId};
            SELECT 1
            """);
        Assert.Contains(await CheckAsync(), v => v.Rule == "R6" && v.Subject == job.Id.ToString());

        await h.ScalarAsync<int>($"UPDATE users SET credit_balance = 11 WHERE id = {job.UserId} RETURNING 1");
        Assert.Contains(await CheckAsync(), v => v.Rule == "R6" && v.Subject == job.UserId.ToString());
    }

    [Fact]
    public async Task AJobRunningPastItsHardTimeout_IsR8()
    {
        var job = await h.RunningJobAsync();
        Assert.DoesNotContain(await CheckAsync(), v => v.Rule == "R8");

        h.Clock.Advance(TimeSpan.FromMinutes(12)); // pose-changer: hard timeout 10 min, plus a sweep and slack

        Assert.Contains(await CheckAsync(), v => v.Rule == "R8" && v.Subject == job.Id.ToString());
    }

    [Fact]
    public async Task AJobWaitingBesideAFreeSlot_IsR12()
    {
        await BusyAsync();
        var running = (await h.QueryAsync<Guid>($"SELECT id FROM jobs WHERE status = 'running' LIMIT 1")).Single();

        // A release that did not promote (as if the instance died in between), and nobody swept.
        await h.ScalarAsync<int>($"""
            UPDATE jobs SET status = 'completed', completed_at = {h.Clock.GetUtcNow().UtcDateTime} WHERE id = {running};
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause) VALUES ({running}, {h.Clock.GetUtcNow().UtcDateTime}, 'transition', 'running', 'completed', 'system');
            SELECT 1
            """);
        Assert.DoesNotContain(await CheckAsync(), v => v.Rule == "R12");

        h.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Contains(await CheckAsync(), v => v.Rule == "R12");
    }
}
