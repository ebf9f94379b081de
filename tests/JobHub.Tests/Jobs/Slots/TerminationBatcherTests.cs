using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>
/// Terminations that arrive together share one round trip and one commit (<see cref="TerminationBatcher"/>), each with its
/// own outcome; a batch that fails is rolled back and run again one by one, so only the termination at fault fails.
/// The batches are made deterministic by holding one job's row: the first batch waits on it while the rest queue.
/// </summary>
public sealed class TerminationBatcherTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync(new Dictionary<string, string?> { ["JobHub:MaxConcurrent"] = "20" });

    public async Task DisposeAsync() => await h.DisposeAsync();

    private static JobFailure Failure => new(JobErrorCodes.RunningHubError, "CUDA out of memory", "805", "CUDA out of memory");

    [Fact]
    public async Task TerminationsArrivingTogether_AreOneTransaction_EachWithItsOwnOutcome()
    {
        var blocker = await h.RunningJobAsync();
        var jobs = new List<Job>();
        for (var i = 0; i < 8; i++)
        {
            jobs.Add(await h.RunningJobAsync(credits: 10));
        }

        List<TerminationResult> results;
        Task<TerminationResult> first;
        await using (var holder = await HoldRowAsync(blocker.Id))
        {
            first = h.Finish.FailAsync(blocker.Id, Failure, JobCause.Webhook);
            await WaitUntilBlockedAsync();
            // Queued behind the first batch: four failures, three completions, a second verdict for a job, an unknown job.
            var calls = new List<Task<TerminationResult>>();
            calls.AddRange(jobs.Take(4).Select(j => h.Finish.FailAsync(j.Id, Failure, JobCause.Webhook)));
            calls.AddRange(jobs.Skip(4).Take(3).Select(j => h.Finish.CompleteAsync(j.Id, [new JobOutput("https://example.test/o.png", "9", "image")], null,
                JobCause.Webhook)));
            calls.Add(h.Finish.FailAsync(jobs[0].Id, Failure, JobCause.Reconcile));
            calls.Add(h.Finish.FailAsync(Guid.NewGuid(), Failure, JobCause.Webhook));
            Assert.All(calls, call => Assert.False(call.IsCompleted));
            await holder.CommitAsync();
            results = [.. await Task.WhenAll(calls)];
        }

        Assert.Equal(TerminationOutcome.Changed, (await first).Outcome);
        Assert.All(results.Take(7), r => Assert.Equal(TerminationOutcome.Changed, r.Outcome));
        Assert.Equal(TerminationOutcome.Ignored, results[7].Outcome); // the second verdict for jobs[0] sees the first's change
        Assert.Equal(TerminationOutcome.NotFound, results[8].Outcome);
        Assert.All(jobs.Take(4), j => Assert.True(results[jobs.IndexOf(j)].Refunded));
        // One commit for all of them: the events they wrote (never updated after) carry one transaction id.
        var ids = jobs.Select(j => j.Id).ToArray();
        var transactions = await h.QueryAsync<string>($"""
            SELECT xmin::text FROM job_events WHERE job_id = ANY({ids}) AND (kind = 'ignored' OR to_status IN ('failed', 'completed'))
            """);
        Assert.Equal(8, transactions.Count); // seven ends and the ignored second verdict
        Assert.Single(transactions.Distinct());
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {jobs[0].Id} AND kind = 'ignored'"));
        foreach (var job in jobs)
        {
            Assert.Equal(jobs.IndexOf(job) < 4 ? 10 : 7, await h.BalanceAsync(job.UserId)); // pose-changer costs 3; refunded once
        }

        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task ABatchThatFails_IsRunAgainOneByOne_AndOnlyTheTerminationAtFaultFails()
    {
        var blocker = await h.RunningJobAsync();
        var faulty = await h.RunningJobAsync(credits: 10);
        var others = new List<Job>();
        for (var i = 0; i < 3; i++)
        {
            others.Add(await h.RunningJobAsync(credits: 10));
        }

        // A delivery whose headers are not JSON fails its statement when it runs: its whole batch is rolled back.
        var failing = new WebhookDelivery(faulty.TaskId!, "not json", "{}");
        var termination = h.Services.GetRequiredService<JobTermination>();
        Task<TerminationResult> faultyCall;
        List<Task<TerminationResult>> calls;
        await using (var holder = await HoldRowAsync(blocker.Id))
        {
            var first = h.Finish.FailAsync(blocker.Id, Failure, JobCause.Webhook);
            await WaitUntilBlockedAsync();
            calls = [.. others.Select(j => h.Finish.FailAsync(j.Id, Failure, JobCause.Webhook))];
            faultyCall = termination.FailAsync(faulty.Id, Failure, JobCause.Webhook, delivery: failing);
            await holder.CommitAsync();
            await first;
        }

        var error = await Assert.ThrowsAsync<PostgresException>(() => faultyCall);
        Assert.Equal(PostgresErrorCodes.InvalidTextRepresentation, error.SqlState);
        Assert.All(await Task.WhenAll(calls), r => Assert.Equal(TerminationOutcome.Changed, r.Outcome));
        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(faulty.Id)).Status);
        Assert.Equal(7, await h.BalanceAsync(faulty.UserId));
        foreach (var job in others)
        {
            Assert.Equal(JobStatus.Failed, (await h.GetJobAsync(job.Id)).Status);
            Assert.Equal(10, await h.BalanceAsync(job.UserId));
            Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id} AND to_status = 'failed'"));
        }

        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task AfterABatchFails_ItsConnectionRunsEachTerminationAgain_AndLaterBatchesToo()
    {
        // One connection in the engine's pool: the failed batch, its reruns one by one and the later batches share it.
        var database = await TestDatabase.CreateMigratedAsync();
        try
        {
            await using var one = await EngineHarness.CreateAsync(new Dictionary<string, string?>
            {
                ["ConnectionStrings:JobHub"] = TestDatabase.ConnectionStringFor(database) + ";Maximum Pool Size=1",
                ["JobHub:MaxConcurrent"] = "20",
            }, sharedDatabase: database);
            var termination = one.Services.GetRequiredService<JobTermination>();
            for (var round = 0; round < 3; round++)
            {
                var blocker = await one.RunningJobAsync();
                var faulty = await one.RunningJobAsync(credits: 10);
                var others = new List<Job>();
                for (var i = 0; i < 3; i++)
                {
                    others.Add(await one.RunningJobAsync(credits: 10));
                }

                Task<TerminationResult> faultyCall;
                List<Task<TerminationResult>> calls;
                await using (var holder = await HeldLock.TakeAsync(one, "SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", blocker.Id))
                {
                    var first = one.Finish.FailAsync(blocker.Id, Failure, JobCause.Webhook);
                    await WaitUntilAnySessionWaitsAsync(database);
                    calls = [.. others.Select(j => one.Finish.FailAsync(j.Id, Failure, JobCause.Webhook))];
                    faultyCall = termination.FailAsync(faulty.Id, Failure, JobCause.Webhook, delivery: new WebhookDelivery(faulty.TaskId!, "not json", "{}"));
                    await holder.CommitAsync();
                    await first;
                }

                Assert.Equal(PostgresErrorCodes.InvalidTextRepresentation, (await Assert.ThrowsAsync<PostgresException>(() => faultyCall)).SqlState);
                Assert.All(await Task.WhenAll(calls), r => Assert.Equal(TerminationOutcome.Changed, r.Outcome));
                Assert.Equal(TerminationOutcome.Changed, (await one.Finish.FailAsync(faulty.Id, Failure, JobCause.Webhook)).Outcome);
            }

            await one.AssertCreditsConsistentAsync();
        }
        finally
        {
            await TestDatabase.DropAsync(database);
        }
    }

    // Asked on a connection of its own: the engine's one connection is the session that waits.
    private static async Task WaitUntilAnySessionWaitsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionStringFor(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (int)(await command.ExecuteScalarAsync())! > 0, TimeSpan.FromSeconds(10)),
            "the first batch never waited for the held lock");
    }

    [Fact]
    public async Task ABatch_CountsTheSlotsOnce_AfterItsReleases_AndTheirCallsRefillThem()
    {
        var ending = new List<Job>();
        for (var i = 0; i < 6; i++)
        {
            ending.Add(await h.RunningJobAsync());
        }

        for (var i = 0; i < 14; i++)
        {
            await h.RunningJobAsync(); // all 20 slots taken
        }

        var blocker = (await h.SubmitAsync(await h.CreateUserAsync())).Job!; // queued: its cancellation frees no slot
        var queued = (await h.SubmitAsync(await h.CreateUserAsync())).Job!;
        Assert.Equal(JobStatus.Queued, queued.Status);

        IReadOnlyList<string> commands;
        TerminationResult[] ends;
        await using (var holder = await HoldRowAsync(blocker.Id))
        {
            var first = h.Cancel.HandleAsync(new CancelJobRequest(blocker.Id, blocker.UserId, JobCause.User, JobErrorCodes.CancelledByUser, "test"));
            await WaitUntilBlockedAsync();
            (ends, commands) = await CommandTrace.RunAsync(async () =>
            {
                var calls = ending.Select(j => h.Finish.FailAsync(j.Id, Failure, JobCause.Webhook)).ToList();
                Assert.All(calls, call => Assert.False(call.IsCompleted));
                await holder.CommitAsync();
                await first;
                return await Task.WhenAll(calls);
            });
        }

        // Six ends, a statement each, then one count of the slots after them all (a count in each end read again the index
        // entries of every job ended before it).
        var batch = Assert.Single(commands, c => c.Contains("pg_advisory_xact_lock_shared", StringComparison.Ordinal));
        Assert.Equal(6, Occurrences(batch, "UPDATE jobs"));
        Assert.Equal(1, Occurrences(batch, "status IN ('starting', 'running') LIMIT"));
        // Slots freed with a job waiting: the ends' calls started it.
        Assert.Equal([queued.Id], ends.SelectMany(e => e.Promoted));
        Assert.NotEqual(JobStatus.Queued, (await h.GetJobAsync(queued.Id)).Status);
        await h.Launcher.WhenIdleAsync();
        await h.AssertCreditsConsistentAsync();
    }

    private static int Occurrences(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    /// <summary>The job's row held by another session (as a transaction of another path would).</summary>
    private Task<HeldLock> HoldRowAsync(Guid jobId) => HeldLock.TakeAsync(h, "SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", jobId);

    private Task WaitUntilBlockedAsync() => HeldLock.WaitUntilBlockedAsync(h);
}
