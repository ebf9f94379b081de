using System.Text.RegularExpressions;
using Bunit;
using JobHub.Tests.Components;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Components.Layout;
using MudBlazor;

namespace JobHub.Tests.Web;

/// <summary>
/// Colours come from the theme only (<see cref="JobHubTheme"/>, through MudBlazor's <c>--mud-palette-…</c> variables), so
/// both palettes and their contrast hold everywhere: the markup, the components' styles and the stylesheets are scanned
/// for hard-coded colours, and every palette variable they name must be one the theme defines.
/// </summary>
public sealed partial class PaletteColourTests
{
    private static readonly string Web = Repository.PathOf("src/JobHub.Web");

    /// <summary>
    /// Files allowed to write colours, each with its reason. Only the theme itself: the palettes are defined there, in C#,
    /// which the scan does not read anyway; anything added here must say why it cannot use the palette.
    /// </summary>
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["Components/Layout/JobHubTheme.cs"] = "the palettes' definition",
    };

    private static IEnumerable<string> Scanned() =>
        Directory.EnumerateFiles(Path.Combine(Web, "Components"), "*.razor", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(Web, "Components"), "*.razor.css", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Path.Combine(Web, "wwwroot"), "*.css"))
            .Where(file => !Allowed.ContainsKey(Path.GetRelativePath(Web, file).Replace('\\', '/')));

    [Fact]
    public void NoMarkupOrStylesheet_WritesAColour_ThatIsNotThePalettes()
    {
        var files = Scanned().ToList();
        Assert.Contains(files, file => file.EndsWith("app.css", StringComparison.Ordinal));

        var found = files.SelectMany(file => Offences(File.ReadAllText(file), file.EndsWith(".css", StringComparison.Ordinal))
            .Select(offence => $"{Path.GetRelativePath(Web, file)}: {offence}")).ToList();

        Assert.True(found.Count == 0, "use var(--mud-palette-…) (the theme's palette) instead of:\n" + string.Join("\n", found));
    }

    [Fact]
    public async Task EveryPaletteVariableTheStylesheetsName_IsOneTheThemeDefines()
    {
        await using var ui = new ComponentContext();
        var theme = ui.Render<MudThemeProvider>(ps => ps.Add(p => p.Theme, JobHubTheme.Theme)).Markup;
        var named = Scanned().SelectMany(file => PaletteVariable().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value)).Distinct().ToList();
        Assert.Contains("--mud-palette-error-hover", named);

        Assert.All(named, variable => Assert.True(theme.Contains(variable + ":", StringComparison.Ordinal), $"the theme defines no {variable}"));
    }

    [Theory]
    [InlineData(".a { color: #8a1c12; }", true)]
    [InlineData(".a { background: rgba(0, 0, 0, 0.18); }", true)]
    [InlineData(".a { border: 1px solid red; }", true)]
    [InlineData(".a { box-shadow: 0 1px 2px hsl(0 0% 0%); }", true)]
    [InlineData(".a { color: var(--mud-palette-error); background: rgba(var(--mud-palette-primary-rgb), 0.1); }", false)]
    [InlineData("#add, #face .b { color: inherit; border-color: transparent; outline: 2px solid currentColor; }", false)]
    public void TheScan_FindsAHardCodedColour_AndOnlyThat(string css, bool found) => Assert.Equal(found, Offences(css, css: true).Any());

    [Theory]
    [InlineData("<div style=\"color: #fff\">x</div>", true)]
    [InlineData("<MudIcon Style=\"color: white\" />", true)]
    [InlineData("<MudChart Colors=\"@([\"#3f3bb8\"])\" />", true)]
    [InlineData("<a href=\"#main\" style=\"--split: 50%\">x</a>", false)]
    public void TheScan_ReadsTheMarkupsStyles(string razor, bool found) => Assert.Equal(found, Offences(razor, css: false).Any());

    /// <summary>The hard-coded colours in a stylesheet (its declarations) or in markup (style attributes, colour literals).</summary>
    private static IEnumerable<string> Offences(string text, bool css)
    {
        if (css)
        {
            return Declarations(Comment().Replace(text, "")).Where(HardCoded);
        }

        var styles = StyleAttribute().Matches(text).SelectMany(m => m.Groups[1].Value.Split(';'))
            .Concat(StyleElement().Matches(text).SelectMany(m => Declarations(m.Groups[1].Value)));
        return styles.Where(HardCoded).Concat(HexLiteral().Matches(text).Select(m => m.Value)).Concat(ColourFunction().Matches(text).Select(m => m.Value));
    }

    /// <summary>Each <c>property: value</c> of the innermost rule blocks.</summary>
    private static IEnumerable<string> Declarations(string css) =>
        Block().Matches(css).SelectMany(block => block.Groups[1].Value.Split(';')).Where(d => d.Contains(':'));

    private static bool HardCoded(string declaration)
    {
        var parts = declaration.Split(':', 2);
        if (parts.Length < 2)
        {
            return false;
        }

        var (property, value) = (parts[0].Trim().ToLowerInvariant(), parts[1]);
        var palette = PaletteRgb().Replace(value, "");
        return Hex().IsMatch(value) || ColourFunction().IsMatch(palette)
            || (ColourProperty().IsMatch(property) && Word().Matches(value).Any(word => NamedColours.Contains(word.Value)));
    }

    /// <summary>CSS's named colours (System.Drawing knows them all), less the keywords that are no colour of their own.</summary>
    private static readonly HashSet<string> NamedColours = new(
        Enum.GetNames<System.Drawing.KnownColor>().Except(["Transparent"], StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex Block();

    [GeneratedRegex(@"\b[sS]tyle\s*=\s*""([^""]*)""")]
    private static partial Regex StyleAttribute();

    [GeneratedRegex(@"<style[^>]*>(.*?)</style>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex StyleElement();

    [GeneratedRegex(@"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})\b")]
    private static partial Regex Hex();

    [GeneratedRegex(@"""#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})""")]
    private static partial Regex HexLiteral();

    [GeneratedRegex(@"\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(", RegexOptions.IgnoreCase)]
    private static partial Regex ColourFunction();

    /// <summary>A palette colour with an alpha of its own: <c>rgba(var(--mud-palette-primary-rgb), 0.1)</c>.</summary>
    [GeneratedRegex(@"rgba?\(\s*var\(--mud-palette-[a-z-]+-rgb\)", RegexOptions.IgnoreCase)]
    private static partial Regex PaletteRgb();

    [GeneratedRegex(@"^(?:color|background(?:-color)?|border(?:-[a-z]+)*|outline(?:-color)?|box-shadow|text-shadow|fill|stroke|caret-color|accent-color|text-decoration(?:-color)?|column-rule(?:-color)?)$")]
    private static partial Regex ColourProperty();

    [GeneratedRegex(@"(?<![-\w])[a-zA-Z]+(?![-\w(])")]
    private static partial Regex Word();

    [GeneratedRegex(@"var\((--mud-palette-[a-z0-9-]+)")]
    private static partial Regex PaletteVariable();
}
