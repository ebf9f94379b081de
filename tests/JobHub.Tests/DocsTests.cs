using System.Text.RegularExpressions;

namespace JobHub.Tests;

/// <summary>
/// The documentation a clone carries: a README short enough to read, opening with the two commands, and links that all
/// lead to a file (and heading) inside the repository, so nothing depends on what lies beside it.
/// </summary>
public sealed partial class DocsTests
{
    private static string Root => FindRoot(AppContext.BaseDirectory);

    private static string FindRoot(string from) =>
        File.Exists(Path.Combine(from, "JobHub.sln")) ? from : FindRoot(Path.GetDirectoryName(from) ?? throw new InvalidOperationException("no repository root"));

    private static IEnumerable<string> Documents() =>
        new[] { Path.Combine(Root, "README.md"), Path.Combine(Root, "CHANGELOG.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories))
            .Where(File.Exists);

    [Fact]
    public void Readme_IsUnder150Lines_AndStartsWithTheTwoCommands()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "README.md"));
        Assert.True(lines.Length < 150, $"README.md has {lines.Length} lines; keep it under 150 and move the rest to docs/.");

        var opening = lines.Where(l => !string.IsNullOrWhiteSpace(l)).Take(5).ToArray();
        Assert.Equal(["# JobHub", "```", "./jobhub run", "./jobhub test", "```"], opening);
    }

    [Fact]
    public void EveryRelativeLink_LeadsToAFileInTheRepository()
    {
        var broken = new List<string>();
        foreach (var document in Documents())
        {
            var name = Path.GetRelativePath(Root, document);
            foreach (var target in Links(File.ReadAllText(document)))
            {
                if (Problem(document, target) is { } problem)
                {
                    broken.Add($"{name}: ({target}) {problem}");
                }
            }
        }

        Assert.True(broken.Count == 0, "Broken links:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void TheLinkCheck_RefusesLinksOutsideTheRepository_AndToMissingFiles()
    {
        var readme = Path.Combine(Root, "README.md");
        Assert.NotNull(Problem(readme, "../shared/SPEC.md"));
        Assert.NotNull(Problem(readme, "docs/no-such-page.md"));
        Assert.NotNull(Problem(readme, "docs/spec.md#no-such-heading"));
        Assert.Null(Problem(readme, "docs/spec.md#the-rules"));
        Assert.Equal(["docs/spec.md", "docs/screenshots/history-360.png"],
            Links("See [the spec](docs/spec.md), `[not](a-link.md)`, ![](docs/screenshots/history-360.png), [site](https://example.com)."));
    }

    /// <summary>Why a link from <paramref name="document"/> does not lead to a file of the repository, or null when it does.</summary>
    private static string? Problem(string document, string target)
    {
        var hash = target.IndexOf('#');
        var (path, anchor) = hash < 0 ? (target, null) : (target[..hash], target[(hash + 1)..]);
        var file = path.Length == 0 ? document : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(document)!, Uri.UnescapeDataString(path)));
        if (!file.StartsWith(Root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return "points outside the repository";
        }

        if (!File.Exists(file) && !Directory.Exists(file))
        {
            return "names no file";
        }

        return anchor is { Length: > 0 } && file.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(file)).Contains(anchor)
            ? "names no heading there"
            : null;
    }

    /// <summary>The targets of a Markdown text's links and images, outside code, other than web addresses.</summary>
    private static List<string> Links(string markdown)
    {
        var prose = InlineCode().Replace(FencedCode().Replace(markdown, ""), "");
        return Link().Matches(prose).Select(m => m.Groups[1].Value)
            .Where(t => !t.Contains("://", StringComparison.Ordinal) && !t.StartsWith("mailto:", StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>The anchors GitHub gives a Markdown text's headings.</summary>
    private static HashSet<string> Anchors(string markdown) =>
        Heading().Matches(FencedCode().Replace(markdown, ""))
            .Select(m => NotInAnchor().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))
            .ToHashSet();

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedCode();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{Nd} _-]")]
    private static partial Regex NotInAnchor();
}
