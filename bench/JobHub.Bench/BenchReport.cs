using System.Globalization;

namespace JobHub.Bench;

/// <summary>
/// docs/benchmarks.md, one section per benchmark: running one benchmark replaces its own section (with the date and
/// the machine's core count) and keeps the others' figures.
/// </summary>
public sealed class BenchReport(string path)
{
    public string Path => path;

    public void Write(string key, string title, IReadOnlyList<string> body)
    {
        var sections = Read();
        sections[key] =
        [
            $"## {title}",
            "",
            string.Create(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores by `./jobhub bench {key}`."),
            "",
            .. body,
        ];
        var lines = new List<string> { "# JobHub benchmark figures", "", "Written by `./jobhub bench`; each section by its own benchmark.", "" };
        foreach (var name in Order.Where(sections.ContainsKey).Concat(sections.Keys.Except(Order)))
        {
            lines.Add($"<!-- section:{name} -->");
            lines.AddRange(sections[name]);
            lines.Add($"<!-- /section:{name} -->");
            lines.Add("");
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, lines);
        foreach (var line in sections[key])
        {
            Console.WriteLine(line);
        }
    }

    private static readonly string[] Order = ["engine", "webhook", "memory", "chaos", "load", "upload"];

    private Dictionary<string, List<string>> Read()
    {
        var sections = new Dictionary<string, List<string>>();
        if (!File.Exists(path))
        {
            return sections;
        }

        List<string>? current = null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("<!-- section:", StringComparison.Ordinal))
            {
                current = sections[line["<!-- section:".Length..^" -->".Length]] = [];
            }
            else if (line.StartsWith("<!-- /section:", StringComparison.Ordinal))
            {
                current = null;
            }
            else
            {
                current?.Add(line);
            }
        }

        return sections;
    }
}
