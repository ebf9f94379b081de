using System.Threading.Channels;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace JobHub.Core.Jobs;

/// <summary>
/// The terminations that arrive together (RunningHub's webhooks come in bursts) sent as one batch: the shared slot lock
/// once, then each termination's own statement in turn, one round trip and one commit for all. Each statement runs as it
/// would alone (it sees the ones before it, so two verdicts for one job in a batch end it once and record the second as a
/// duplicate), on its own job's row, in the order of the jobs' ids so that two instances' batches lock rows in the same
/// order. A batch that fails is rolled back whole, so nothing in it was applied; its terminations are then run one by one,
/// and only the one at fault fails. A batch is sent as soon as the one before it is done: alone, a termination waits
/// for nothing; under load, the batches grow with it (at most <see cref="MaxBatch"/>).
/// </summary>
/// <remarks>
/// Measured (issue 18, 50 webhook senders, JIT settled): PostgreSQL's CPU per delivery went from 0.34–0.38 ms to
/// 0.23 ms, JobHub's from 0.29–0.30 to 0.22–0.25 ms, deliveries from 2,700 to 3,500–3,700/s.
/// </remarks>
public sealed class TerminationBatcher(IDbContextFactory<JobHubDbContext> contexts)
{
    public const int MaxBatch = 64;

    private readonly Channel<Pending> pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private BackgroundLoop? loop;

    private BackgroundLoop Loop => LazyInitializer.EnsureInitialized(ref loop, () => new BackgroundLoop(RunAllAsync));

    /// <summary>A statement of <see cref="JobTermination"/> without its lock, the job it ends, and how its row is read.</summary>
    internal sealed record Pending(Guid JobId, FormattableString Statement, Func<NpgsqlDataReader, object> Read, TaskCompletionSource<object> Done,
        ExecutionContext? Context);

    /// <summary>
    /// Runs <paramref name="statement"/> (one termination, without the slot lock: the batch takes it) in the next batch and
    /// returns its one row as <paramref name="read"/> reads it. Once handed over it runs, whatever becomes of the caller.
    /// </summary>
    internal async Task<T> RunAsync<T>(Guid jobId, FormattableString statement, Func<NpgsqlDataReader, T> read) where T : class
    {
        var item = new Pending(jobId, statement, reader => read(reader), new(TaskCreationOptions.RunContinuationsAsynchronously),
            ExecutionContext.Capture());
        if (!pending.Writer.TryWrite(item))
        {
            return (T)(await RunAloneAsync(item)); // the instance is stopping: no batch waits for it
        }

        Start();
        return (T)await item.Done.Task;
    }

    /// <summary>Starts the loop (the host's start, EngineLifetime; harnesses without a host start on first use).</summary>
    public void Start() => Loop.Start();

    /// <summary>The instance stops: what is waiting is sent, then terminations run alone.</summary>
    public async Task StopAsync()
    {
        pending.Writer.TryComplete();
        await Loop.Completion;
    }

    private async Task RunAllAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && pending.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            batch.Sort((a, b) => a.JobId.CompareTo(b.JobId));
            // Traced as part of its first member's call (Npgsql's activity), as a termination alone would be.
            if (batch[0].Context is { } context)
            {
                Task? sent = null;
                ExecutionContext.Run(context, _ => sent = SendAsync(batch), null);
                await sent!;
            }
            else
            {
                await SendAsync(batch);
            }
        }
    }

    private async Task SendAsync(List<Pending> batch)
    {
        List<object> rows;
        try
        {
            rows = await RunBatchAsync(batch);
        }
        catch (Exception) when (batch.Count > 1)
        {
            // Rolled back whole: each alone, so that only the one at fault fails (a deadlock with another instance's batch
            // or a lost connection fails them all again, each to its own caller).
            foreach (var item in batch)
            {
                try
                {
                    item.Done.TrySetResult(await RunAloneAsync(item));
                }
                catch (Exception ex)
                {
                    item.Done.TrySetException(ex);
                }
            }

            return;
        }
        catch (Exception ex)
        {
            batch[0].Done.TrySetException(ex);
            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Done.TrySetResult(rows[i]);
        }
    }

    private async Task<List<object>> RunBatchAsync(List<Pending> batch)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        // Npgsql's batch on EF's connection: EF's raw-SQL API reads one statement's rows, and each termination returns its own.
        // No transaction of EF's: the batch is PostgreSQL's implicit transaction, committed when its last statement has run.
        await using var command = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection());
        command.BatchCommands.Add(new NpgsqlBatchCommand(SlotAdmission.ReleaseLock));
        foreach (var item in batch)
        {
            command.BatchCommands.Add(RawSql.BatchCommand(item.Statement));
        }

        var rows = new List<object>(batch.Count);
        await using var reader = await command.ExecuteReaderAsync();
        do
        {
            if (reader.FieldCount == 0)
            {
                continue; // the lock's
            }

            if (rows.Count == batch.Count || !await reader.ReadAsync())
            {
                throw new InvalidOperationException("A termination's statement did not return its one row.");
            }

            rows.Add(batch[rows.Count].Read(reader));
        }
        while (await reader.NextResultAsync());

        return rows.Count == batch.Count ? rows : throw new InvalidOperationException("A termination's statement did not return its one row.");
    }

    private async Task<object> RunAloneAsync(Pending item) => (await RunBatchAsync([item]))[0];
}
