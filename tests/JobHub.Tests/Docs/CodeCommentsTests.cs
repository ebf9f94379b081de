using System.Text.RegularExpressions;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Docs;

/// <summary>
/// Comments say why in three lines at most, with no issue numbers, history or measured figures: the reasoning behind a design
/// goes to docs/decisions/, what changed and when to CHANGELOG.md. Lines that are only XML tags do not count.
/// </summary>
public sealed partial class CodeCommentsTests
{
    private const int MostLines = 3;

    [Fact]
    public void EveryComment_IsThreeLinesAtMost_WithNoIssueNumberHistoryOrMeasurement()
    {
        var problems = SourceFiles()
            .SelectMany(file => Problems(Path.GetRelativePath(Repository.Root, file), File.ReadAllLines(file)))
            .ToList();

        Assert.True(problems.Count == 0,
            $"{problems.Count} comments to rewrite (the design's reasoning goes to docs/decisions/, its history to CHANGELOG.md):\n"
            + string.Join("\n", problems));
    }

    [Fact]
    public void TheCheck_FindsLongBlocks_IssueNumbers_History_AndMeasurements_ButNotCodeOrTags()
    {
        string[] csharp =
        [
            "/// <summary>",
            "/// One.",
            "/// Two.",
            "/// Three.",
            "/// </summary>",
            "/// <param name=\"a\">Its own block.</param>",
            "// One.",
            "// Two.",
            "// Three.",
            "// Four.",
            "var url = \"https://example.com\"; // fixed for issue 12",
            "// Issue 8's scenario; see Hangfire.PostgreSql#410.",
            "// It used to poll; the job was no longer queued.",
            "x = 1; // stalls of 100–240 ms, p99 ≤ 100 ms; every 500 ms, 0–1",
            "var text = \"// not a comment, issue 3\";",
        ];

        var found = Problems("A.cs", csharp);

        Assert.Equal(
        [
            "A.cs:7: a comment of 4 lines (at most 3)",
            "A.cs:11: a comment naming an issue (\"issue 12\")",
            "A.cs:12: a comment naming an issue (\"Issue 8\")",
            "A.cs:12: a comment naming an issue (\"#410\")",
            "A.cs:13: a comment telling history (\"It used to\")",
            "A.cs:14: a comment quoting a measurement (\"100–240 ms\")",
            "A.cs:14: a comment quoting a measurement (\"≤ 100 ms\")",
        ], found);

        Assert.Equal(["B.razor:1: a comment of 4 lines (at most 3)"],
            Problems("B.razor", ["@* One.", "   Two.", "   Three.", "   Four. *@", "<MudText>issue 5</MudText>"]));
        Assert.Equal(["c.css:2: a comment of 4 lines (at most 3)"],
            Problems("c.css", [".a { color: red; } /* one line */", "/* One.", "   Two.", "   Three.", "   Four. */"]));
        Assert.Empty(Problems("d.js", ["// One.", "// Two.", "// Three.", "", "// One."]));
    }

    /// <summary>The C#, Razor, script and style files of src/, bench/ and tests/, without build output and EF's generated migrations.</summary>
    private static IEnumerable<string> SourceFiles()
    {
        var skipped = new[] { "bin", "obj", "node_modules", "Migrations" };
        return new[] { "src", "bench", "tests" }
            .SelectMany(top => Directory.EnumerateFiles(Repository.PathOf(top), "*", SearchOption.AllDirectories))
            .Where(file => !Path.GetRelativePath(Repository.Root, file).Split(Path.DirectorySeparatorChar).Any(skipped.Contains))
            .Where(file => Path.GetExtension(file) is ".cs" or ".razor"
                || (Path.GetExtension(file) is ".js" or ".css" && file.Contains($"{Path.DirectorySeparatorChar}wwwroot{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal);
    }

    /// <summary>What is wrong with the comments of one file, each as <c>file:line: problem</c>.</summary>
    private static List<string> Problems(string name, string[] lines)
    {
        var problems = new List<string>();
        foreach (var block in Blocks(Path.GetExtension(name), lines))
        {
            var text = block.Lines.Where(l => !TagsOnly().IsMatch(l.Text)).ToList();
            if (text.Count > MostLines)
            {
                problems.Add($"{name}:{block.Lines[0].Number}: a comment of {text.Count} lines (at most {MostLines})");
            }

            foreach (var (number, line) in block.Lines)
            {
                problems.AddRange(Issue().Matches(line).Select(m => $"{name}:{number}: a comment naming an issue (\"{m.Value}\")"));
                problems.AddRange(History().Matches(line).Select(m => $"{name}:{number}: a comment telling history (\"{m.Value}\")"));
                problems.AddRange(Measurement().Matches(line).Select(m => $"{name}:{number}: a comment quoting a measurement (\"{m.Value}\")"));
            }
        }

        return problems;
    }

    private sealed record Block(bool Doc, List<(int Number, string Text)> Lines);

    /// <summary>
    /// A file's comment blocks: consecutive whole-line <c>//</c> (or <c>///</c>) comments, a <c>/* */</c> or <c>@* *@</c>
    /// comment, or a comment after code on its line. An XML doc's <c>param</c>, <c>returns</c> or <c>remarks</c> starts a block.
    /// </summary>
    private static List<Block> Blocks(string extension, string[] lines)
    {
        var blocks = new List<Block>();
        Block? run = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var (open, close) = extension == ".razor" && line.StartsWith("@*", StringComparison.Ordinal) ? ("@*", "*@")
                : extension is ".js" or ".css" && line.StartsWith("/*", StringComparison.Ordinal) ? ("/*", "*/")
                : (null, null);
            if (open is not null && close is not null)
            {
                run = new Block(false, []);
                blocks.Add(run);
                var rest = line[open.Length..];
                while (true)
                {
                    var end = rest.IndexOf(close, StringComparison.Ordinal);
                    run.Lines.Add((i + 1, (end < 0 ? rest : rest[..end]).Trim()));
                    if (end >= 0 || i + 1 == lines.Length)
                    {
                        break;
                    }

                    rest = lines[++i].Trim();
                }

                run = null;
            }
            else if (extension != ".css" && line.StartsWith("//", StringComparison.Ordinal))
            {
                var doc = line.StartsWith("///", StringComparison.Ordinal);
                var text = line.TrimStart('/').Trim();
                if (run is null || run.Doc != doc || (doc && StartsDocBlock().IsMatch(text)))
                {
                    run = new Block(doc, []);
                    blocks.Add(run);
                }

                run.Lines.Add((i + 1, text));
            }
            else
            {
                run = null;
                if (Trailing(extension, lines[i]) is { } trailing)
                {
                    blocks.Add(new Block(false, [(i + 1, trailing)]));
                }
            }
        }

        foreach (var block in blocks)
        {
            block.Lines.RemoveAll(l => l.Text.Length == 0);
        }

        return blocks.Where(b => b.Lines.Count > 0).ToList();
    }

    /// <summary>A comment after code on a line (<c>// …</c>, or <c>/* … */</c> in scripts and styles), outside any string.</summary>
    private static string? Trailing(string extension, string line)
    {
        if (extension == ".razor")
        {
            return null;
        }

        var quote = '\0';
        for (var i = 0; i < line.Length - 1; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'' or '`')
            {
                quote = c;
            }
            else if (c == '/' && line[i + 1] == '/' && extension != ".css" && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[(i + 2)..].Trim();
            }
            else if (c == '/' && line[i + 1] == '*' && extension is ".js" or ".css")
            {
                var end = line.IndexOf("*/", i + 2, StringComparison.Ordinal);
                return (end < 0 ? line[(i + 2)..] : line[(i + 2)..end]).Trim();
            }
        }

        return null;
    }

    /// <summary>A line of nothing but XML tags (<c>&lt;summary&gt;</c>, <c>&lt;/para&gt;</c>, <c>&lt;list type="bullet"&gt;</c>).</summary>
    [GeneratedRegex(@"^(?:</?[a-z]+(?:\s+[a-z]+=""[^""]*"")*\s*/?>\s*)+$")]
    private static partial Regex TagsOnly();

    /// <summary>The XML doc tags that start a block of their own.</summary>
    [GeneratedRegex(@"^<(?:param|typeparam|returns|remarks|exception|value|example)\b")]
    private static partial Regex StartsDocBlock();

    /// <summary>An issue's number, in words or after a hash sign (an HTML entity's <c>&amp;</c> before the hash is not one).</summary>
    [GeneratedRegex(@"\bissues?\s+#?\d+|(?<!&)#\d+\b", RegexOptions.IgnoreCase)]
    private static partial Regex Issue();

    /// <summary>Phrases that only tell what the code was, never what it does.</summary>
    [GeneratedRegex(@"\b(?:(?:it|we|this|that|which|they|JobHub)\s+used\s+(?:to|before)|used\s+to\s+be|formerly|previously|originally|until\s+now|mov(?:ing|ed)\s+onto|the\s+old\s+(?:engine|migrator|code|version|way)|(?:it|this|that)\s+was\s+(?:once|then|changed|replaced|moved)|no\s+longer\s+(?:uses?|needs?|does|do|runs?|takes?))\b", RegexOptions.IgnoreCase)]
    private static partial Regex History();

    /// <summary>A measured range or bound with its unit; a setting's one value ("every 500 ms") is not one.</summary>
    [GeneratedRegex(@"\d[\d,.]*\s?[–-]\s?\d[\d,.]*\s?(?:ms|µs|s|KB|MB|GB|/s|%)(?!\w)|[≤≥]\s?\d[\d,.]*\s?(?:ms|µs|s|KB|MB|GB|/s|%)(?!\w)")]
    private static partial Regex Measurement();
}
