using Npgsql;

namespace JobHub.Bench;

/// <summary>
/// A fresh database (and storage folder) for one benchmark run, created on the cluster and dropped after it. CREATE and
/// DROP DATABASE run on the server's admin connection, outside any database JobHub's model describes, so as plain commands.
/// </summary>
public static class BenchDatabase
{
    public static async Task<string> CreateAsync(string adminConnectionString, string prefix)
    {
        var database = $"{prefix}_{Guid.NewGuid():N}"[..30];
        await ExecuteAsync(adminConnectionString, $"CREATE DATABASE \"{database}\"");
        return database;
    }

    public static async Task DropAsync(string adminConnectionString, string database, string storage)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(adminConnectionString, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");

        if (Directory.Exists(storage))
        {
            Directory.Delete(storage, recursive: true);
        }
    }

    public static async Task ExecuteAsync(string adminConnectionString, string sql)
    {
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }
}
