using JobHub.Core.Persistence;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the suite runs against (JOBHUB_TEST_ADMIN_CONNECTION, which ./jobhub test sets),
/// and one migrated template database per test run that test classes clone.
/// </summary>
public static class TestDatabase
{
    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("JOBHUB_TEST_ADMIN_CONNECTION") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "JOBHUB_TEST_ADMIN_CONNECTION is not set: run the suite with ./jobhub test, which starts PostgreSQL and sets it.");

    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, ApplicationName = "JobHub.Tests" }.ConnectionString;

    /// <summary>Creates an empty database (no schema).</summary>
    public static async Task<string> CreateEmptyAsync()
    {
        var name = NewName("e");
        await AdminExecuteAsync($"CREATE DATABASE \"{name}\"");
        return name;
    }

    /// <summary>Creates a database cloned from the migrated template.</summary>
    public static async Task<string> CreateMigratedAsync()
    {
        var template = await Template.Value;
        var name = NewName("t");
        await AdminExecuteAsync($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
        return name;
    }

    public static async Task DropAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await AdminExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    }

    private static async Task<string> CreateTemplateAsync()
    {
        var name = NewName("tpl");
        await AdminExecuteAsync($"CREATE DATABASE \"{name}\"");
        await using (var dataSource = Database.CreateDataSource(ConnectionStringFor(name)))
        {
            await new DatabaseMigrations(dataSource, NullLogger<DatabaseMigrations>.Instance).MigrateAsync();
        }

        // Hangfire's schema too, so that the clones start with it.
        JobHub.Core.Maintenance.HangfireSetup.CreateStorage(ConnectionStringFor(name));

        NpgsqlConnection.ClearAllPools();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                AdminExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").GetAwaiter().GetResult();
            }
            catch (NpgsqlException)
            {
                // The server may already be gone at process exit; a leftover template is harmless.
            }
        };
        return name;
    }

    /// <summary>Cuts every connection to the database (what a PostgreSQL restart does to them); returns how many were cut.</summary>
    public static async Task<int> TerminateConnectionsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid()",
            connection);
        command.Parameters.AddWithValue("database", database);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    private static string NewName(string kind) => $"jobhub_{kind}_{Guid.NewGuid():N}"[..40];

    private static async Task AdminExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>A test class's own database, cloned from the migrated template, dropped afterwards.</summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    public string Name { get; private set; } = "";
    public string ConnectionString { get; private set; } = "";
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Name = await TestDatabase.CreateMigratedAsync();
        ConnectionString = TestDatabase.ConnectionStringFor(Name);
        DataSource = Database.CreateDataSource(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await TestDatabase.DropAsync(Name);
    }
}
