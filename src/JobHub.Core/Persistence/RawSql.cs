using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Persistence;

/// <summary>
/// Reading the rows of EF's raw-SQL queries (<c>FromSql</c>, <c>Database.SqlQuery</c>) as the statement returns them.
/// LINQ operators such as <c>FirstOrDefaultAsync</c> would wrap the SQL in a subquery, which PostgreSQL refuses for an
/// <c>UPDATE … RETURNING</c> and which cannot hold several statements; this enumerates instead (<c>ToListAsync</c> never
/// composes, so it serves for every row).
/// </summary>
public static class RawSql
{
    /// <summary>The first row, or the default when there is none.</summary>
    public static async Task<T?> FirstRowAsync<T>(this IQueryable<T> query, CancellationToken cancellationToken = default)
    {
        await foreach (var row in query.AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            return row;
        }

        return default;
    }
}
