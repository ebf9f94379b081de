using System.Text.Json;
using JobHub.Core.Jobs;
using Npgsql;

namespace JobHub.Web.Realtime;

/// <summary>
/// One per instance: LISTENs on the job changes' channel and hands each change to <see cref="JobNotifications"/>. After a
/// dropped connection it reconnects with back-off and tells subscribers to reload, since changes meanwhile went unheard;
/// pages also poll, so a missed change delays an update, never loses it.
/// </summary>
public sealed class JobChangeListener(NpgsqlDataSource dataSource, JobNotifications notifications, QueuePositionFeed queuePositions,
    ILogger<JobChangeListener> logger)
    : BackgroundService
{
    private TaskCompletionSource listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How many times the listener has (re)connected; tests wait on it.</summary>
    public int Connections { get; private set; }

    /// <summary>The server process of the listening connection (tests end it to show the reconnect).</summary>
    public int BackendPid { get; private set; }

    /// <summary>Completes when the listener is connected and listening.</summary>
    public Task Listening => listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (listening.Task.IsCompleted)
                {
                    listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                logger.LogWarning("Job change listener lost its connection ({Error}); reconnecting in {Delay} ms", ex.Message, delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
                continue;
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        // A bare connection, the one place JobHub uses one: LISTEN needs a session held open for as long as it listens, and
        // its notifications arrive as connection events; EF Core has neither.
        await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
        connection.Notification += (_, e) => OnNotification(e.Payload);
        try
        {
            await ListenOnAsync(connection, stoppingToken);
        }
        finally
        {
            await UnlistenAsync(connection);
        }
    }

    /// <summary>
    /// Pooled connections are not reset (Database.CreateDataSource): a connection that still works goes back to the pool
    /// without its LISTEN, or its server process would keep queueing notifications nobody reads.
    /// </summary>
    private async Task UnlistenAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await using var command = new NpgsqlCommand("UNLISTEN *", connection);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // Still open but not answering: the pool closes it instead of lending it again.
            logger.LogDebug("UNLISTEN failed ({Error}); the connection is closed instead of pooled", ex.Message);
            NpgsqlConnection.ClearPool(connection);
        }
    }

    private async Task ListenOnAsync(NpgsqlConnection connection, CancellationToken stoppingToken)
    {
        await using (var command = new NpgsqlCommand($"LISTEN {JobEvents.Channel}; SELECT pg_backend_pid()", connection))
        {
            BackendPid = (int)(await command.ExecuteScalarAsync(stoppingToken))!;
        }

        Connections++;
        if (Connections > 1)
        {
            logger.LogInformation("Job change listener reconnected");
            await notifications.PublishAsync(JobChange.Resync);
            _ = queuePositions.QueueChangedAsync();
        }

        listening.TrySetResult();
        while (true)
        {
            // A quiet minute proves nothing about a connection whose server vanished without closing it: ask.
            if (!await connection.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken))
            {
                await using var probe = new NpgsqlCommand("SELECT 1", connection);
                await probe.ExecuteScalarAsync(stoppingToken);
            }
        }
    }

    private void OnNotification(string payload)
    {
        JobChanged? changed;
        try
        {
            changed = JsonSerializer.Deserialize<JobChanged>(payload, JobJson.Options);
        }
        catch (JsonException)
        {
            logger.LogWarning("Ignoring a job change notification that is not JSON");
            return;
        }

        if (changed is not null)
        {
            _ = notifications.PublishAsync(JobChange.From(changed));
            if (changed.MovesTheQueue)
            {
                _ = queuePositions.QueueChangedAsync();
            }
        }
    }
}
