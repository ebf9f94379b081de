using JobHub.Core.Jobs;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>
/// Admissions that arrive together share the slot lock, a round trip and a commit (<see cref="AdmissionBatcher"/>), each decided
/// as alone after the ones before it; a failed batch runs again one by one, so only the one at fault is refused. Holding the
/// slot lock makes the batches deterministic: the first waits on it while the rest queue behind.
/// </summary>
public sealed class AdmissionBatcherTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync(new Dictionary<string, string?> { ["JobHub:MaxConcurrent"] = "3" });

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task AdmissionsArrivingTogether_AreOneTransaction_EachDecidedAfterTheOnesBeforeIt()
    {
        var inputs = await h.InputsForAsync("pose-changer");
        var users = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            users.Add(await h.CreateUserAsync(credits: i == 3 ? 2 : 10)); // the fourth cannot pay for pose-changer (3)
        }

        SubmitJobResult first;
        List<SubmitJobResult> results;
        await using (var holder = await HoldSlotLockAsync())
        {
            var firstCall = Submit(users[0], inputs);
            await WaitUntilBlockedAsync();
            var calls = users.Skip(1).Select(user => Submit(user, inputs)).ToList();
            Assert.All(calls, call => Assert.False(call.IsCompleted));
            await holder.CommitAsync();
            first = await firstCall;
            results = [.. await Task.WhenAll(calls)];
        }

        // One slot taken before the batch: two more start, one is refused for its balance, three queue in the order they came.
        Assert.Equal(JobStatus.Starting, first.Job!.Status);
        Assert.Equal([JobStatus.Starting, JobStatus.Starting, null, JobStatus.Queued, JobStatus.Queued, JobStatus.Queued],
            results.Select(r => r.Job?.Status));
        Assert.Equal(SubmitErrors.InsufficientCredits, results[2].ErrorCode);
        // Each place counts the jobs its batch queued before it (not yet in the kept count when it ran).
        Assert.Equal([1, 2, 3], results.Skip(3).Select(r => r.QueuePosition));
        foreach (var queued in results.Skip(3))
        {
            Assert.Equal(queued.QueuePosition, await h.Queue.PositionAsync(queued.Job!.Id));
        }

        // One commit for all of them: the first events they wrote (never updated after) carry one transaction id.
        var ids = results.Where(r => r.Job is not null).Select(r => r.Job!.Id).ToArray();
        var transactions = await h.QueryAsync<string>($"SELECT xmin::text FROM job_events WHERE job_id = ANY({ids}) AND from_status IS NULL");
        Assert.Equal(5, transactions.Count);
        Assert.Single(transactions.Distinct());
        Assert.Equal(2, await h.BalanceAsync(users[3])); // nothing charged
        foreach (var user in users.Where(u => u != users[3]))
        {
            Assert.Equal(7, await h.BalanceAsync(user));
        }

        await h.Launcher.WhenIdleAsync();
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task ABatchWithASecondActiveJob_IsRunAgainOneByOne_AndOnlyThatOneIsRefused()
    {
        var inputs = await h.InputsForAsync("pose-changer");
        var users = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            users.Add(await h.CreateUserAsync(credits: 10));
        }

        List<SubmitJobResult> results;
        await using (var holder = await HoldSlotLockAsync())
        {
            var firstCall = Submit(users[0], inputs);
            await WaitUntilBlockedAsync();
            // The second user twice in one batch: R4's index refuses the second, which rolls the whole batch back.
            var calls = new[] { users[1], users[2], users[1], users[3] }.Select(user => Submit(user, inputs)).ToList();
            await holder.CommitAsync();
            await firstCall;
            results = [.. await Task.WhenAll(calls)];
        }

        Assert.Equal([true, true, false, true], results.Select(r => r.Succeeded));
        Assert.Equal(SubmitErrors.ActiveJobExists, results[2].ErrorCode);
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs WHERE user_id = {users[1]}"));
        Assert.Equal(7, await h.BalanceAsync(users[1])); // charged once
        Assert.Equal(1, results[3].QueuePosition);
        await h.Launcher.WhenIdleAsync();
        await h.AssertCreditsConsistentAsync();
    }

    private Task<SubmitJobResult> Submit(Guid user, IReadOnlyList<StoredInput> inputs) =>
        h.Submit.HandleAsync(new SubmitJobRequest(user, "pose-changer", inputs, new Dictionary<string, string?>()));

    /// <summary>The slot lock held by another session (as a promotion of another instance would).</summary>
    private Task<HeldLock> HoldSlotLockAsync() => HeldLock.TakeAsync(h, "SELECT pg_advisory_xact_lock(5363613744568095569)");

    private Task WaitUntilBlockedAsync() => HeldLock.WaitUntilBlockedAsync(h);
}
