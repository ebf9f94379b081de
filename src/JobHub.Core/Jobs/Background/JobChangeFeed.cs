using System.Threading.Channels;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Jobs.Background;

/// <summary>
/// The NOTIFY of the hot paths' changes, a job's admission (<see cref="SubmitJob"/>) and its end (<see cref="JobTermination"/>),
/// sent after their commit, in batches: one transaction for every change committed meanwhile. PostgreSQL holds one lock
/// for each NOTIFYing commit through its WAL flush, so a NOTIFY in each webhook's own transaction made the webhooks'
/// commits one at a time (one flush each), and an admission's held the slot lock longer; sent in batches, the commits
/// share flushes again. The other changes (promotion, start, requeue, notes) keep their NOTIFY in their statement. Each
/// change is still one notification of its own (<see cref="JobChanged"/>), in commit order on this instance. A change whose
/// process dies before its batch goes out reaches the pages by their poll (JobChangeListener).
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
