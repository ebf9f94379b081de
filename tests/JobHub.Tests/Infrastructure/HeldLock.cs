using Npgsql;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// Another session holding a lock (a job's row, the slot lock) in an open transaction until the test commits it, as a
/// transaction of another path would: what makes the engine's batches deterministic in a test (the first batch waits on
/// it while the rest queue behind).
/// </summary>
public sealed class HeldLock : IAsyncDisposable
{
    private readonly NpgsqlConnection connection;
    private readonly NpgsqlTransaction transaction;

    private HeldLock(NpgsqlConnection connection, NpgsqlTransaction transaction) => (this.connection, this.transaction) = (connection, transaction);

    /// <summary>Runs <paramref name="sql"/> (which takes the lock; <c>$1</c> is <paramref name="value"/>, when given) in a transaction left open.</summary>
    public static async Task<HeldLock> TakeAsync(EngineHarness h, string sql, object? value = null)
    {
        var connection = new NpgsqlConnection(TestDatabase.ConnectionStringFor(h.DatabaseName));
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        if (value is not null)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteScalarAsync();
        return new HeldLock(connection, transaction);
    }

    /// <summary>Until a session of the harness's database waits for a lock (the first batch, on the held one).</summary>
    public static async Task WaitUntilBlockedAsync(EngineHarness h) =>
        Assert.True(await EngineHarness.WaitUntilAsync(async () =>
            await h.ScalarAsync<int>($"SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0,
            TimeSpan.FromSeconds(10)), "the first batch never waited for the held lock");

    public Task CommitAsync() => transaction.CommitAsync();

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
