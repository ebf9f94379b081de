using System.Reflection;
using System.Text.RegularExpressions;
using JobHub.Core;
using JobHub.Core.Limits;
using JobHub.Core.Mail;
using JobHub.Core.Maintenance;
using JobHub.Core.RunningHub;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Security;

namespace JobHub.Tests.Docs;

/// <summary>
/// docs/configuration.md: each table whole (a header row, its separator, then rows with as many cells as the header;
/// a blank line inside a table leaves the rows after it without a header), and every setting of the Options classes
/// and every <c>JOBHUB_*</c> variable of the script in a table.
/// </summary>
public sealed partial class ConfigurationDocTests
{
    private static readonly string[] Lines = File.ReadAllLines(Repository.PathOf("docs/configuration.md"));

    [Fact]
    public void EveryTable_HasAHeader_AndNoRowOutsideIt()
    {
        var tables = Tables(Lines);

        Assert.NotEmpty(tables);
        Assert.All(tables, table => Assert.Empty(Problems(table)));
    }

    [Fact]
    public void TheCheck_FindsATableSplitByABlankLine_AndARowWithACellTooMany()
    {
        string[] split = ["| setting | default |", "|---|---|", "| `A` | 1 |", "", "| `B` | 2 |"];
        string[] ragged = ["| setting | default |", "|---|---|", "| `A` | 1 | more |"];

        Assert.Contains(Tables(split).SelectMany(Problems), p => p.Contains("without a header"));
        Assert.Contains(Tables(ragged).SelectMany(Problems), p => p.Contains("3 cells"));
    }

    [Fact]
    public void EveryJobhubVariableOfTheScript_IsInATable()
    {
        var script = File.ReadAllText(Repository.PathOf("jobhub"));
        var settings = string.Join("\n", Tables(Lines).SelectMany(t => t.Rows.Skip(2)).Select(row => Cells(row.Text)[0]));

        var missing = Variable().Matches(script).Select(m => m.Value).Distinct().Where(v => !settings.Contains($"`{v}`")).ToList();

        Assert.True(missing.Count == 0, "docs/configuration.md does not name " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData(typeof(JobHubOptions), JobHubOptions.Section)]
    [InlineData(typeof(JobHub.Core.Storage.StorageOptions), JobHub.Core.Storage.StorageOptions.Section)]
    [InlineData(typeof(JobHub.Core.Storage.S3StorageOptions), JobHub.Core.Storage.StorageOptions.Section + ":S3")]
    [InlineData(typeof(RunningHubOptions), RunningHubOptions.Section)]
    [InlineData(typeof(MaintenanceOptions), MaintenanceOptions.Section)]
    [InlineData(typeof(RateLimitOptions), RateLimitOptions.Section)]
    [InlineData(typeof(UploadOptions), UploadOptions.Section)]
    [InlineData(typeof(MailOptions), MailOptions.Section)]
    [InlineData(typeof(ProxyOptions), ProxyOptions.Section)]
    [InlineData(typeof(SimulatorOptions), SimulatorOptions.Section)]
    [InlineData(typeof(JobHub.Web.Telemetry.TelemetryOptions), JobHub.Web.Telemetry.TelemetryOptions.Section)]
    public void EverySettingOfAnOptionsClass_IsInATable(Type options, string section)
    {
        var names = Tables(Lines).SelectMany(t => t.Rows.Skip(2)).Select(row => Cells(row.Text)[0])
            .Where(cell => cell.StartsWith($"`{section}:", StringComparison.Ordinal)).ToList();

        var missing = options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true })
            .Select(p => p.Name)
            .Where(name => !names.Any(cell => cell.Contains($"{section}:{name}", StringComparison.Ordinal) || cell.Contains($"`{name}`", StringComparison.Ordinal)))
            .ToList();

        Assert.True(missing.Count == 0, $"docs/configuration.md has no row for {string.Join(", ", missing.Select(name => $"{section}:{name}"))}");
    }

    private sealed record Row(int Line, string Text);

    private sealed record Table(List<Row> Rows);

    /// <summary>The runs of lines that start with "|", outside code blocks.</summary>
    private static List<Table> Tables(IReadOnlyList<string> lines)
    {
        var tables = new List<Table>();
        Table? current = null;
        var inCode = false;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
            }

            if (!inCode && line.StartsWith('|'))
            {
                if (current is null)
                {
                    tables.Add(current = new Table([]));
                }

                current.Rows.Add(new Row(i + 1, line));
            }
            else
            {
                current = null;
            }
        }

        return tables;
    }

    private static IEnumerable<string> Problems(Table table)
    {
        var first = table.Rows[0];
        if (table.Rows.Count < 2 || !Separator().IsMatch(table.Rows[1].Text))
        {
            yield return $"line {first.Line}: rows without a header (a table split by a blank line?): {first.Text}";
            yield break;
        }

        var width = Cells(first.Text).Count;
        if (Cells(table.Rows[1].Text).Count != width)
        {
            yield return $"line {table.Rows[1].Line}: the separator has {Cells(table.Rows[1].Text).Count} cells, the header {width}";
        }

        if (table.Rows.Count < 3)
        {
            yield return $"line {first.Line}: a header without rows";
        }

        foreach (var row in table.Rows.Skip(2))
        {
            if (Cells(row.Text).Count != width)
            {
                yield return $"line {row.Line}: {Cells(row.Text).Count} cells where the header has {width}: {row.Text}";
            }
        }
    }

    /// <summary>A row's cells: split on "|" outside code spans, without the outer pipes.</summary>
    private static List<string> Cells(string row)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var inCode = false;
        foreach (var c in row.Trim().Trim('|'))
        {
            if (c == '`')
            {
                inCode = !inCode;
            }

            if (c == '|' && !inCode)
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString().Trim());
        return cells;
    }

    [GeneratedRegex(@"^\|(\s*:?-{3,}:?\s*\|)+$")]
    private static partial Regex Separator();

    [GeneratedRegex(@"\bJOBHUB_[A-Z0-9_]+")]
    private static partial Regex Variable();
}
