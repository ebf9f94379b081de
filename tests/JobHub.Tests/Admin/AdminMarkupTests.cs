using System.Text.RegularExpressions;

namespace JobHub.Tests.Admin;

/// <summary>The admin pages are MudBlazor components, as the user pages are: no raw form control or table beside them.</summary>
public sealed partial class AdminMarkupTests
{
    private static string AdminPages
    {
        get
        {
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "JobHub.sln")))
            {
                root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("no repository root");
            }

            return Path.Combine(root, "src/JobHub.Web/Components/Pages/Admin");
        }
    }

    [Fact]
    public void NoAdminPage_WritesARawSelectInputOrTable()
    {
        var pages = Directory.EnumerateFiles(AdminPages, "*.razor").ToList();
        Assert.NotEmpty(pages);

        var raw = pages.SelectMany(file => File.ReadAllLines(file).Select((line, i) => (File: Path.GetFileName(file), Line: i + 1, Text: line)))
            .Where(line => RawElement().IsMatch(line.Text))
            .Select(line => $"{line.File}:{line.Line}: {line.Text.Trim()}")
            .ToList();

        Assert.True(raw.Count == 0, "use MudSelect, MudTextField, MudTable (or MudSimpleTable) instead of:\n" + string.Join("\n", raw));
    }

    [GeneratedRegex(@"<(select|input|table)\b", RegexOptions.IgnoreCase)]
    private static partial Regex RawElement();
}
