using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace JobHub.Core.Persistence;

/// <summary>
/// A hot-path statement written once with named parameters (<c>@job</c>) and sent with positional ones (<c>$1</c>): the
/// names are turned into positions once, so no call builds SQL or has Npgsql rewrite it. Each value is typed by its
/// declared type, a null too, so every call is the same prepared statement.
/// </summary>
public sealed partial class SqlStatement
{
    private readonly Dictionary<string, int> positions = new(StringComparer.Ordinal);

    public SqlStatement(string written)
    {
        Written = written;
        Text = Parameter().Replace(written, match =>
        {
            if (!match.Groups[1].Success)
            {
                return match.Value; // a comment or a string literal, sent as written
            }

            var name = match.Groups[1].Value;
            if (!positions.TryGetValue(name, out var position))
            {
                position = positions.Count;
                positions.Add(name, position);
            }

            return "$" + (position + 1).ToString(CultureInfo.InvariantCulture);
        });
        Names = [.. positions.OrderBy(p => p.Value).Select(p => p.Key)];
    }

    /// <summary>The statement as written, with its parameters' names.</summary>
    public string Written { get; }

    /// <summary>The statement as sent: each name replaced by its position.</summary>
    public string Text { get; }

    /// <summary>The parameters' names, in the order of their positions.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The statement with the value of <paramref name="name"/>; every name must be given one before it is sent.</summary>
    public Bound With<T>(string name, T value) => new Bound(this).With(name, value);

    /// <summary>A statement and its values.</summary>
    public sealed class Bound(SqlStatement statement)
    {
        private readonly Func<NpgsqlParameter>?[] values = new Func<NpgsqlParameter>?[statement.Names.Count];

        public SqlStatement Statement => statement;

        public Bound With<T>(string name, T value)
        {
            if (!statement.positions.TryGetValue(name, out var position))
            {
                throw new ArgumentException($"The statement has no parameter @{name}.", nameof(name));
            }

            values[position] = () => new NpgsqlParameter<T> { TypedValue = value };
            return this;
        }

        /// <summary>A command for Npgsql's batch (a new one each time: a command belongs to one batch).</summary>
        public NpgsqlBatchCommand ToBatchCommand()
        {
            var command = new NpgsqlBatchCommand(statement.Text);
            AddTo(command.Parameters);
            return command;
        }

        /// <summary>Runs the statement in the context's open connection (and its transaction); returns the rows it changed.</summary>
        public async Task<int> ExecuteAsync(JobHubDbContext db, CancellationToken cancellationToken = default)
        {
            await using var command = new NpgsqlCommand(statement.Text, (NpgsqlConnection)db.Database.GetDbConnection());
            AddTo(command.Parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }

        private void AddTo(NpgsqlParameterCollection parameters)
        {
            for (var i = 0; i < values.Length; i++)
            {
                parameters.Add((values[i] ?? throw new InvalidOperationException($"No value for @{statement.Names[i]}."))());
            }
        }
    }

    // Comments and literals are matched first so that a name inside them is left alone.
    [GeneratedRegex(@"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|(?<![\w@:])@([a-z_][a-z0-9_]*)", RegexOptions.Singleline)]
    private static partial Regex Parameter();
}
