using System.Globalization;

namespace JobHub.Bench;

/// <summary>One measured figure: percentiles of a latency sample, against its target.</summary>
public sealed record Figure(string Name, int Count, double P50, double P99, double Max, double? TargetP99)
{
    /// <summary>The rate the figure's work ran at, where it has one (submits or deliveries a second).</summary>
    public double? PerSecond { get; init; }

    public static Figure From(string name, IEnumerable<double> samples, double? targetP99)
    {
        var sorted = samples.Order().ToArray();
        return new Figure(name, sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted[^1], targetP99);
    }

    public string Verdict => TargetP99 is { } target ? (P99 <= target ? $"meets p99 ≤ {target} ms" : $"misses p99 ≤ {target} ms") : "";

    public string ToMarkdownRow() =>
        string.Create(CultureInfo.InvariantCulture, $"| {Name} | {P50:0.0} ms | {P99:0.0} ms | {Max:0.0} ms | {Verdict} |");

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>A benchmark's figures and, where it has one, the table of the same run's PostgreSQL reference.</summary>
public sealed record BenchResult(IReadOnlyList<Figure> Figures, IReadOnlyList<string> Reference);
