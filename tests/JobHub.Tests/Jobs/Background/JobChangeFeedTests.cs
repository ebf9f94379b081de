using System.Collections.Concurrent;
using System.Text.Json;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Background;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobHub.Tests.Jobs.Background;

/// <summary>A job's end is notified after its commit, in batches (JobChangeFeed): each change still a notification of its own, in order.</summary>
public sealed class JobChangeFeedTests : IAsyncLifetime
{
    private EngineHarness h = null!;
    private NpgsqlConnection listening = null!;
    private readonly ConcurrentQueue<JobChanged> heard = new();

    public async Task InitializeAsync()
    {
        h = await EngineHarness.CreateAsync();
        listening = new NpgsqlConnection(TestDatabase.ConnectionStringFor(h.DatabaseName));
        await listening.OpenAsync();
        listening.Notification += (_, e) => heard.Enqueue(JsonSerializer.Deserialize<JobChanged>(e.Payload, JobJson.Options)!);
        await using var listen = new NpgsqlCommand($"LISTEN {JobEvents.Channel}", listening);
        await listen.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await listening.DisposeAsync();
        await h.DisposeAsync();
    }

    private async Task HearAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (heard.Count < count && DateTime.UtcNow < deadline)
        {
            await listening.WaitAsync(TimeSpan.FromMilliseconds(100));
        }
    }

    [Fact]
    public async Task ChangesPublishedTogether_AreEachNotified_InTheOrderPublished()
    {
        var feed = h.Services.GetRequiredService<JobChangeFeed>();
        var user = Guid.NewGuid();
        var changes = Enumerable.Range(0, 1200).Select(_ => new JobChanged(Guid.NewGuid(), user, JobStatus.Completed, JobStatus.Running)).ToList();

        foreach (var change in changes)
        {
            feed.Publish(change);
        }

        await HearAsync(changes.Count);
        Assert.Equal(changes, heard.ToList());
    }

    [Fact]
    public async Task AStoppingInstance_SendsWhatWaits_ThenTakesNoMore()
    {
        var feed = h.Services.GetRequiredService<JobChangeFeed>();
        var waiting = new JobChanged(Guid.NewGuid(), Guid.NewGuid(), JobStatus.Failed, JobStatus.Running);
        feed.Publish(waiting);
        await feed.StopAsync();
        feed.Publish(waiting with { JobId = Guid.NewGuid() });

        await HearAsync(2);
        Assert.Equal([waiting], heard.ToList());
    }
}
