using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Persistence;

/// <summary>
/// Reading the rows of EF's raw-SQL queries (<c>FromSql</c>, <c>Database.SqlQuery</c>) as the statement returns them: LINQ's
/// <c>FirstOrDefaultAsync</c> would wrap the SQL in a subquery, which PostgreSQL refuses for <c>UPDATE … RETURNING</c> and
/// which cannot hold several statements. This enumerates instead (<c>ToListAsync</c> never composes).
/// </summary>
public static partial class RawSql
{
    /// <summary>
    /// One statement from pieces that each keep their own values as parameters (a feature's SQL written beside it, joined
    /// into a caller's statement): the pieces' placeholders are renumbered in order.
    /// </summary>
    public static FormattableString Concat(params FormattableString[] parts)
    {
        var format = new System.Text.StringBuilder();
        var arguments = new List<object?>();
        foreach (var part in parts)
        {
            var offset = arguments.Count;
            format.Append(Placeholder().Replace(part.Format, m => m.Groups[1].Success ? "{" + (int.Parse(m.Groups[1].Value) + offset) : m.Value));
            arguments.AddRange(part.GetArguments());
        }

        return FormattableStringFactory.Create(format.ToString(), [.. arguments]);
    }

    [GeneratedRegex(@"\{\{|\}\}|\{(\d+)")]
    private static partial Regex Placeholder();

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
