using JobHub.Core.Persistence;
using Npgsql;

namespace JobHub.Web;

/// <summary>
/// While PostgreSQL restarts (or a connection is cut), a request that meets the lost connection clears the pool's idle
/// connections (they may be dead too), and an API caller gets 503 with <c>Retry-After</c> and a code instead of a 500:
/// the request changed nothing and can be sent again. Pages keep the error page.
/// </summary>
public static class DatabaseOutage
{
    public const string Code = "DATABASE_UNAVAILABLE";

    public static IApplicationBuilder UseDatabaseOutageHandling(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (IsConnectionLoss(ex))
        {
            context.RequestServices.GetRequiredService<NpgsqlDataSource>().Clear();
            if (!context.Request.Path.StartsWithSegments("/api") || context.Response.HasStarted)
            {
                throw;
            }

            context.Response.Clear();
            context.Response.Headers.RetryAfter = "1";
            await ApiProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, Code,
                "The database is restarting; nothing was changed. Try again in a moment.");
        }
    });

    /// <summary>The connection itself is gone (server restarted, backend terminated, socket closed), not a bad statement.</summary>
    public static bool IsConnectionLoss(Exception ex) => ex.DatabaseError() switch
    {
        PostgresException pg => pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or System.Net.Sockets.SocketException,
        _ => false,
    };
}
