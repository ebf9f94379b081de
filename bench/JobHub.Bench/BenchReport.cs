using System.Globalization;

namespace JobHub.Bench;

/// <summary>
/// docs/benchmarks.md, one section per benchmark: running one benchmark replaces its own section (with the date and
/// the machine's core count) and keeps the others' figures.
/// </summary>
public sealed class BenchReport(string path)
{
    public string Path => path;

    /// <param name="command">What was run after <c>./jobhub bench</c>, when it is not the section's key.</param>
    public void Write(string key, string title, IReadOnlyList<string> body, string? command = null)
    {
        var sections = Read();
        sections[key] =
        [
            $"## {title}",
            "",
            string.Create(CultureInfo.InvariantCulture,
                $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores at commit {Commit()} by `./jobhub bench {command ?? key}`."),
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

    /// <summary>
    /// The checkout's commit, so that a figure names the code it measured; marked when tracked files differ from it (this
    /// report itself aside, which the run rewrites).
    /// </summary>
    public string Commit()
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var commit = Git(folder, "rev-parse", "--short", "HEAD");
        if (string.IsNullOrEmpty(commit))
        {
            return "unknown (not a git checkout)";
        }

        var changed = Git(folder, "status", "--porcelain", "--untracked-files=no", "--", ":/", $":(exclude){System.IO.Path.GetFullPath(path)}");
        return string.IsNullOrEmpty(changed) ? commit : $"{commit} (with uncommitted changes)";
    }

    private static string Git(string folder, params string[] arguments)
    {
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo("git", ["-C", folder, .. arguments])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var git = System.Diagnostics.Process.Start(start)!;
            var output = git.StandardOutput.ReadToEnd();
            git.StandardError.ReadToEnd();
            git.WaitForExit();
            return git.ExitCode == 0 ? output.Trim() : "";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return ""; // no git on this machine
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
