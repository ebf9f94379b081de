using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// axe-core, the accessibility engine of the browsers' own tools, run on a page: the npm package pinned in tests/axe
/// (<c>./jobhub test</c> installs it with <c>npm ci</c>), added to the page as a script. The page's context must bypass
/// the Content-Security-Policy, which allows no script but the site's own.
/// </summary>
public static class Axe
{
    /// <summary>The rules a page must pass whatever their impact: every page has one main landmark, all its content in landmarks, one h1 and no skipped heading level.</summary>
    private static readonly HashSet<string> StructureRules = ["landmark-one-main", "region", "page-has-heading-one", "heading-order"];

    public static string ScriptPath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("JOBHUB_AXE_SCRIPT") is { Length: > 0 } set
                ? set
                : Repository.PathOf("tests/axe/node_modules/axe-core/axe.min.js");
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException($"axe-core is missing ({path}): run the suite with ./jobhub test, which installs it (npm ci in tests/axe).");
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public sealed record Node(string Target, string Html, string Summary);

    public sealed record Violation(string Id, string? Impact, string Help, Node[] Nodes)
    {
        public bool Blocks => Impact is "critical" or "serious" || StructureRules.Contains(Id) || Id.StartsWith("landmark-", StringComparison.Ordinal);
    }

    /// <summary>axe's violations on the page as it is now (WCAG 2.1 A and AA, and axe's best practices).</summary>
    public static async Task<IReadOnlyList<Violation>> RunAsync(IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
        {
            await page.AddScriptTagAsync(new() { Path = ScriptPath });
        }

        var found = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const results = await axe.run(document, {
                runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
                resultTypes: ['violations'],
              });
              return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({ target: n.target.flat().join(' '), html: n.html.slice(0, 160), summary: n.failureSummary ?? '' })),
              }));
            }
            """);
        return found.Deserialize<Violation[]>(Json)!;
    }

    /// <summary>The violations as a person fixing them needs them: the rule, its impact and help, each element's selector and what is wrong with it.</summary>
    public static string Describe(IEnumerable<Violation> violations)
    {
        var text = new StringBuilder();
        foreach (var violation in violations)
        {
            text.AppendLine($"  {violation.Id} ({violation.Impact}): {violation.Help}");
            foreach (var node in violation.Nodes.Take(8))
            {
                text.AppendLine($"    {node.Target}  {node.Html}");
                text.AppendLine($"      {node.Summary.ReplaceLineEndings(" ")}");
            }

            if (violation.Nodes.Length > 8)
            {
                text.AppendLine($"    … and {violation.Nodes.Length - 8} more");
            }
        }

        return text.ToString();
    }
}
