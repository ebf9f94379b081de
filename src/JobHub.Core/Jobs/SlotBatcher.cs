using System.Threading.Channels;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace JobHub.Core.Jobs;

/// <summary>
/// Statements under the slot lock that arrive together (webhooks and submits come in bursts), sent as one batch: the lock
/// once, each statement as it would run alone, one round trip and one commit. A failed batch is run again one by one, so
/// only the statement at fault fails. A batch leaves when the one before it is done, so a lone statement never waits.
/// </summary>
public abstract class SlotBatcher(IDbContextFactory<JobHubDbContext> contexts)
{
    public const int MaxBatch = 64;

    private readonly Channel<Pending> pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private BackgroundLoop? loop;

    private BackgroundLoop Loop => LazyInitializer.EnsureInitialized(ref loop, () => new BackgroundLoop(RunAllAsync));

    /// <summary>The statements every batch begins with, returning no rows: the slot lock, in the mode its statements need.</summary>
    private protected abstract IReadOnlyList<string> Head { get; }

    /// <summary>A statement every batch ends with, still under the lock, returning one boolean for each caller (none: false).</summary>
    private protected virtual SqlStatement.Bound? Tail => null;

    /// <summary>Whether a batch runs its statements in the order of their keys (the rows they lock), not as they came.</summary>
    private protected virtual bool InKeyOrder => false;

    /// <summary>A statement without the lock, the key it is ordered by, how its row is read, and its caller's context.</summary>
    internal sealed record Pending(Guid Key, SqlStatement.Bound Statement, Func<NpgsqlDataReader, object> Read, TaskCompletionSource<Ran<object>> Done,
        ExecutionContext? Context);

    /// <summary>A statement's row, the rows of the statements its batch ran before it, and the batch's <see cref="Tail"/>.</summary>
    internal sealed record Ran<T>(T Row, IReadOnlyList<object> Earlier, bool Tail);

    /// <summary>
    /// Runs <paramref name="statement"/> (without the slot lock: the batch takes it) in the next batch and returns its one
    /// row as <paramref name="read"/> reads it. Once handed over it runs, whatever becomes of the caller.
    /// </summary>
    internal async Task<Ran<T>> RunAsync<T>(Guid key, SqlStatement.Bound statement, Func<NpgsqlDataReader, T> read) where T : class
    {
        var item = new Pending(key, statement, reader => read(reader), new(TaskCreationOptions.RunContinuationsAsynchronously), ExecutionContext.Capture());
        if (!pending.Writer.TryWrite(item))
        {
            return Typed<T>(await RunAloneAsync(item)); // the instance is stopping: no batch waits for it
        }

        Start();
        return Typed<T>(await item.Done.Task);
    }

    /// <summary>Starts the loop (the host's start, EngineLifetime; harnesses without a host start on first use).</summary>
    public void Start() => Loop.Start();

    /// <summary>The instance stops: what is waiting is sent, then statements run alone.</summary>
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

            if (InKeyOrder)
            {
                batch.Sort((a, b) => a.Key.CompareTo(b.Key));
            }

            // Traced as part of its first member's call (Npgsql's activity), as a statement alone would be.
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
        List<Ran<object>> rows;
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

    private async Task<List<Ran<object>>> RunBatchAsync(List<Pending> batch)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        try
        {
            return await ReadBatchAsync(connection, batch);
        }
        catch (PostgresException)
        {
            // A statement failing while Npgsql auto-prepares it can leave Npgsql's record of the connection's prepared
            // statements out of step with the server's: both are dropped before the connection goes back to the pool.
            try
            {
                connection.UnprepareAll();
            }
            catch (Exception) when (connection.State != System.Data.ConnectionState.Open)
            {
                // a broken connection leaves the pool anyway
            }

            throw;
        }
    }

    private async Task<List<Ran<object>>> ReadBatchAsync(NpgsqlConnection connection, List<Pending> batch)
    {
        // Npgsql's batch on EF's connection: EF's raw-SQL API reads one statement's rows, and each statement returns its own.
        // No transaction of EF's: the batch is PostgreSQL's implicit transaction, committed when its last statement has run.
        await using var command = new NpgsqlBatch(connection);
        foreach (var head in Head)
        {
            command.BatchCommands.Add(new NpgsqlBatchCommand(head));
        }

        foreach (var item in batch)
        {
            command.BatchCommands.Add(item.Statement.ToBatchCommand());
        }

        if (Tail is { } tail)
        {
            command.BatchCommands.Add(tail.ToBatchCommand());
        }

        var rows = new List<object>(batch.Count);
        var last = false;
        await using var reader = await command.ExecuteReaderAsync();
        do
        {
            if (reader.FieldCount == 0)
            {
                continue; // the head's
            }

            if (!await reader.ReadAsync())
            {
                throw new InvalidOperationException("A statement of the batch did not return its one row.");
            }

            if (rows.Count < batch.Count)
            {
                rows.Add(batch[rows.Count].Read(reader));
            }
            else
            {
                last = reader.GetBoolean(0);
            }
        }
        while (await reader.NextResultAsync());

        if (rows.Count != batch.Count)
        {
            throw new InvalidOperationException("A statement of the batch did not return its one row.");
        }

        // Each caller sees the rows before its own through one array (no copy per member: most never look).
        var all = rows.ToArray();
        return [.. all.Select((row, i) => new Ran<object>(row, new ArraySegment<object>(all, 0, i), last))];
    }

    private async Task<Ran<object>> RunAloneAsync(Pending item) => (await RunBatchAsync([item]))[0];

    private static Ran<T> Typed<T>(Ran<object> ran) => new((T)ran.Row, ran.Earlier, ran.Tail);
}
