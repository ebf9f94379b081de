using System.Text;
using System.Text.RegularExpressions;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>
/// The engine's hot-path statements exactly as PostgreSQL receives them, each in a checked-in file beside this one
/// (Statements/*.sql), so that a change to any of them shows in a review as a diff of SQL.
/// </summary>
public sealed partial class StatementSnapshotTests
{
    /// <summary>Set to 1 to write the files anew from the code (then review and commit the diff).</summary>
    private const string UpdateVariable = "JOBHUB_UPDATE_STATEMENTS";

    public static TheoryData<string> Names => [.. Snapshots.Keys];

    private static readonly Dictionary<string, Func<string>> Snapshots = new()
    {
        ["admission"] = () => Batch("A batch of admissions: one round trip, one commit.", SlotAdmission.AdmissionHead, [("each admission", SubmitJob.Admission)]),
        ["termination"] = () => Batch("A batch of terminations (webhook verdicts included): one round trip, one commit.", [SlotAdmission.ReleaseLock],
            [("each termination, in the order of the jobs' ids", JobTermination.Statement), ("once, last", SlotAdmission.SlotWaiting)]),
        ["promotion"] = () => Batch("A promotion, in a transaction of its own after a batch of terminations freed a slot someone waits for.", [], [("the slot lock and the state", null),
            ("each job promoted, then the state read again", JobTransitions.Promotion)]),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Statement_IsTheCheckedInOne(string name)
    {
        var file = Path.Combine(StatementsFolder, name + ".sql");
        var composed = Snapshots[name]();
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(file, composed);
        }

        var checkedIn = File.Exists(file) ? File.ReadAllText(file) : "";
        Assert.True(checkedIn == composed,
            $"The {name} statement differs from tests/JobHub.Tests/Jobs/Slots/Statements/{name}.sql. If the change is meant, run the tests " +
            $"with {UpdateVariable}=1 to write the file anew, and commit it with the change.\n\n{composed}");
    }

    [Fact]
    public void TheAdmission_DecidesOnTheSameStateAsThePromotion()
    {
        Assert.Contains(Squeezed(SlotAdmission.State), Squeezed(SubmitJob.Admission.Text));
    }

    [Fact]
    public void NamesInCommentsAndLiterals_AreNotParameters()
    {
        var statement = new SqlStatement("-- only with @c\nSELECT @a, '@b', 'it''s @b' /* @d */, @e");

        Assert.Equal("-- only with @c\nSELECT $1, '@b', 'it''s @b' /* @d */, $2", statement.Text);
        Assert.Equal(["a", "e"], statement.Names);
    }

    [Fact]
    public void Parameters_AreNamedOnce_AndSentByPosition()
    {
        var statement = new SqlStatement("SELECT @a::uuid IS NULL OR id = @a, @b, x::text");

        Assert.Equal("SELECT $1::uuid IS NULL OR id = $1, $2, x::text", statement.Text);
        Assert.Equal(["a", "b"], statement.Names);
        Assert.Throws<InvalidOperationException>(() => statement.With("a", Guid.Empty).ToBatchCommand());
        Assert.Throws<ArgumentException>(() => statement.With("c", 1));
    }

    private static string Batch(string title, IReadOnlyList<string> head, IReadOnlyList<(string When, SqlStatement? Statement)> statements)
    {
        var text = new StringBuilder($"-- {title}\n");
        foreach (var line in head)
        {
            text.Append(line.TrimEnd()).Append('\n');
        }

        foreach (var (when, statement) in statements)
        {
            text.Append($"\n-- {when}");
            if (statement is null)
            {
                text.Append('\n').Append(SlotAdmission.LockAndState.TrimEnd()).Append('\n');
                continue;
            }

            text.Append(", with:\n").Append(string.Concat(statement.Names.Select((n, i) => $"--   ${i + 1} {n}\n")));
            text.Append(statement.Text.TrimEnd()).Append(";\n");
        }

        return text.ToString();
    }

    private static string Squeezed(string sql) => Whitespace().Replace(sql, " ").Trim();

    private static string StatementsFolder
    {
        get
        {
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "JobHub.sln")))
            {
                root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository root");
            }

            return Path.Combine(root, "tests/JobHub.Tests/Jobs/Slots/Statements");
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
