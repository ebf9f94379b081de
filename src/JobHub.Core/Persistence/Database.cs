using Npgsql;

namespace JobHub.Core.Persistence;

/// <summary>The data source a process uses (EF Core's contexts and the realtime listener share it).</summary>
public static class Database
{
    /// <summary>Builds the one <see cref="NpgsqlDataSource"/> a process uses; call once at start-up.</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "No PostgreSQL connection string: set ConnectionStrings:JobHub (or the environment variable " +
                "ConnectionStrings__JobHub), or start JobHub with ./jobhub run, which provides a private cluster.");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings:JobHub is not a valid PostgreSQL connection string: {ex.Message}", ex);
        }

        builder.ApplicationName ??= "JobHub";
        if (builder.MaxAutoPrepare == 0)
        {
            // The engine runs the same few statements all day: prepared once per connection, they skip parsing and planning.
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        if (!Mentions(connectionString, "Maximum Pool Size", "MaxPoolSize"))
        {
            // A few connections a core: more only take turns on the database's cores (and its locks) instead of in the pool.
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        // A connection back in the pool is not reset (a statement of its own before the next command): JobHub leaves no
        // session state behind; its locks are the transaction's, and the listener undoes its LISTEN before returning one.
        builder.NoResetOnClose = true;
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }

    /// <summary>The pool's size when the connection string does not set one: eight connections a core, at least 16.</summary>
    public static int DefaultMaxPoolSize => Math.Max(16, 8 * Environment.ProcessorCount);

    private static bool Mentions(string connectionString, params string[] keys)
    {
        var parsed = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return keys.Any(parsed.ContainsKey);
    }

    /// <summary>
    /// The database's own exception behind <paramref name="ex"/>: EF Core reports a lost connection wrapped in an
    /// <see cref="InvalidOperationException"/> ("likely due to a transient failure"), Npgsql directly.
    /// </summary>
    public static NpgsqlException? DatabaseError(this Exception ex) => ex as NpgsqlException ?? ex.InnerException as NpgsqlException;

    /// <summary>True when the exception is a unique-constraint violation on <paramref name="constraint"/>.</summary>
    public static bool IsUniqueViolation(this PostgresException ex, string constraint) =>
        ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == constraint;
}
