using Dapper;
using Npgsql;

namespace JobHub.Bench;

/// <summary>A fresh database (and storage folder) for one benchmark run, created on the cluster and dropped after it.</summary>
public static class BenchDatabase
{
    public static async Task<string> CreateAsync(string adminConnectionString, string prefix)
    {
        var database = $"{prefix}_{Guid.NewGuid():N}"[..30];
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        await admin.ExecuteAsync($"CREATE DATABASE \"{database}\"");
        return database;
    }

    public static async Task DropAsync(string adminConnectionString, string database, string storage)
    {
        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }

        if (Directory.Exists(storage))
        {
            Directory.Delete(storage, recursive: true);
        }
    }
}
