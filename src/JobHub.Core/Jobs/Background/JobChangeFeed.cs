using System.Threading.Channels;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Jobs.Background;

/// <summary>
/// The NOTIFY of an admission (<see cref="SubmitJob"/>) and a job's end (<see cref="JobTermination"/>), sent after their
/// commit in batches, so those commits share WAL flushes (docs/decisions/0004-notify-after-commit.md). Each change is its
/// own notification, in commit order; one lost with its process reaches the pages by their poll.
/// </summary>
public sealed class JobChangeFeed(IDbContextFactory<JobHubDbContext> contexts, ILogger<JobChangeFeed> logger)
{
    private const int MaxBatch = 500;

    private readonly Channel<JobChanged> pending = Channel.CreateUnbounded<JobChanged>();
    private BackgroundLoop? sending;

    private BackgroundLoop Sending => LazyInitializer.EnsureInitialized(ref sending, () => new BackgroundLoop(SendAllAsync));

    /// <summary>Sends the change's NOTIFY soon; call after its commit.</summary>
    public void Publish(JobChanged change)
    {
        if (pending.Writer.TryWrite(change))
        {
            Start();
        }
    }

    /// <summary>Starts sending (the host's start, EngineLifetime; harnesses without a host start on first use).</summary>
    public void Start() => Sending.Start();

    /// <summary>The instance stops: what is waiting is sent, then no more is taken.</summary>
    public async Task StopAsync()
    {
        pending.Writer.TryComplete();
        await Sending.Completion;
    }

    private async Task SendAllAsync()
    {
        var batch = new List<string>(MaxBatch);
        while (await pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && pending.Reader.TryRead(out var change))
            {
                batch.Add(JobJson.Serialize(change));
            }

            try
            {
                await using var db = await contexts.CreateDbContextAsync();
                // Raw SQL: NOTIFY has no EF API; one statement, one commit for the batch, each payload a notification of its own.
                await db.Database.ExecuteSqlAsync($"SELECT pg_notify({JobEvents.Channel}, payload) FROM unnest({batch.ToArray()}) AS payload");
            }
            catch (Exception ex)
            {
                // The changes are committed; the pages' poll shows them. The loop goes on: later changes are sent.
                logger.LogWarning("Could not send {Count} job change notification(s): {Error}", batch.Count, ex.Message);
            }
        }
    }
}
