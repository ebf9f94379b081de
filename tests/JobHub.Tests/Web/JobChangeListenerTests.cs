using System.Collections.Concurrent;
using JobHub.Core.Jobs;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Realtime;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobHub.Tests.Web;

/// <summary>Realtime: a change committed by any connection reaches subscribers through NOTIFY, and again after the listener's connection is lost.</summary>
public sealed class JobChangeListenerTests : IAsyncLifetime
{
    private EngineHarness h = null!;
    private JobChangeListener listener = null!;
    private readonly JobNotifications notifications = new(NullLogger<JobNotifications>.Instance);
    private QueuePositionFeed positions = null!;

    public async Task InitializeAsync()
    {
        h = await EngineHarness.CreateAsync();
        positions = new QueuePositionFeed(h.Queue, NullLogger<QueuePositionFeed>.Instance);
        listener = new JobChangeListener(h.DataSource, notifications, positions, NullLogger<JobChangeListener>.Instance);
        await listener.StartAsync(CancellationToken.None);
        await listener.Listening.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        await listener.StopAsync(CancellationToken.None);
        listener.Dispose();
        await h.DisposeAsync();
    }

    private static async Task<T> WaitAsync<T>(ConcurrentQueue<T> received, Func<T, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (received.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"no matching change arrived; got {string.Join(", ", received)}");
    }

    [Fact]
    public async Task ChangeCommittedElsewhere_ReachesTheOwnersSubscriber_NotOtherUsers()
    {
        var owner = await h.CreateUserAsync();
        var mine = new ConcurrentQueue<JobChange>();
        var others = new ConcurrentQueue<JobChange>();
        var all = new ConcurrentQueue<JobChange>();
        using var a = notifications.Subscribe(owner, change => { mine.Enqueue(change); return Task.CompletedTask; });
        using var b = notifications.Subscribe(await h.CreateUserAsync(), change => { others.Enqueue(change); return Task.CompletedTask; });
        using var c = notifications.Subscribe(null, change => { all.Enqueue(change); return Task.CompletedTask; });

        var job = (await h.SubmitAsync(owner)).Job!;
        await h.Launcher.WhenIdleAsync();

        Assert.Equal(owner, (await WaitAsync(mine, x => x.JobId == job.Id && x.Status == JobStatus.Running)).UserId);
        await WaitAsync(all, x => x.JobId == job.Id && x.Status == JobStatus.Running);
        // The admission's NOTIFY follows its commit in a batch (JobChangeFeed), the start's is in its statement: either may
        // come first (a page reads the job again on each, so the order does not matter), and both come.
        await WaitAsync(mine, x => x.JobId == job.Id && x.Status == JobStatus.Starting);
        Assert.Empty(others);
    }

    [Fact]
    public async Task AStoppedListener_LeavesNoListeningConnectionInThePool()
    {
        var pid = listener.BackendPid;
        await listener.StopAsync(CancellationToken.None);

        // Pooled connections are not reset: the listener's own connection comes back from the pool as it left it.
        var held = new List<NpgsqlConnection>();
        try
        {
            NpgsqlConnection? reused = null;
            for (var i = 0; i < 30 && reused is null; i++)
            {
                var connection = await h.DataSource.OpenConnectionAsync();
                held.Add(connection);
                await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
                if ((int)(await command.ExecuteScalarAsync())! == pid)
                {
                    reused = connection;
                }
            }

            Assert.NotNull(reused);
            await using var channels = new NpgsqlCommand("SELECT count(*)::int FROM pg_listening_channels()", reused);
            Assert.Equal(0, (int)(await channels.ExecuteScalarAsync())!);
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AfterTheConnectionIsKilled_TheListenerReconnects_SaysResync_AndChangesFlowAgain()
    {
        var owner = await h.CreateUserAsync();
        var received = new ConcurrentQueue<JobChange>();
        using var subscription = notifications.Subscribe(owner, change => { received.Enqueue(change); return Task.CompletedTask; });
        var firstPid = listener.BackendPid;

        // What a database restart looks like to the listener: the server ends its connection.
        await using (var admin = new NpgsqlConnection(TestDatabase.AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(@pid)", admin);
            kill.Parameters.AddWithValue("pid", firstPid);
            Assert.True((bool)(await kill.ExecuteScalarAsync())!);
        }

        await WaitAsync(received, x => x.IsResync);
        Assert.NotEqual(firstPid, listener.BackendPid);
        Assert.Equal(2, listener.Connections);

        var job = (await h.SubmitAsync(owner)).Job!;
        await WaitAsync(received, x => x.JobId == job.Id && x.Status == JobStatus.Starting);
    }

    [Fact]
    public async Task DisposedSubscription_GetsNothingMore_AndAFailingSubscriberDoesNotStopOthers()
    {
        var owner = await h.CreateUserAsync();
        var received = new ConcurrentQueue<JobChange>();
        var gone = new ConcurrentQueue<JobChange>();
        using var broken = notifications.Subscribe(owner, _ => throw new InvalidOperationException("a broken page"));
        using var working = notifications.Subscribe(owner, change => { received.Enqueue(change); return Task.CompletedTask; });
        notifications.Subscribe(owner, change => { gone.Enqueue(change); return Task.CompletedTask; }).Dispose();

        var job = (await h.SubmitAsync(owner)).Job!;

        await WaitAsync(received, x => x.JobId == job.Id);
        Assert.Empty(gone);
    }

    [Fact]
    public async Task ACancelInTheQueue_MovesEveryQueuedPage_OnTheSameChange()
    {
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            await h.SubmitAsync(await h.CreateUserAsync());
        }

        var queued = new List<Job>();
        for (var i = 0; i < 4; i++)
        {
            queued.Add((await h.SubmitAsync(await h.CreateUserAsync())).Job!);
        }

        Assert.All(queued, job => Assert.Equal(JobStatus.Queued, job.Status));
        var seen = queued.Skip(1).ToDictionary(job => job.Id, _ => new ConcurrentQueue<int?>());
        var watches = seen.Select(entry => positions.Watch(entry.Key, position => { entry.Value.Enqueue(position); return Task.CompletedTask; })).ToList();

        // The head of the queue cancels: the second becomes first, and the third and fourth move up with it.
        await h.Cancel.HandleAsync(new CancelJobRequest(queued[0].Id, queued[0].UserId, JobCause.User, JobErrorCodes.CancelledByUser, "cancelled"));

        Assert.Equal(1, await WaitAsync(seen[queued[1].Id], p => p == 1));
        Assert.Equal(2, await WaitAsync(seen[queued[2].Id], p => p == 2));
        Assert.Equal(3, await WaitAsync(seen[queued[3].Id], p => p == 3));
        watches.ForEach(w => w.Dispose());
    }
}
