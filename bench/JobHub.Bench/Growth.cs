using System.Globalization;

namespace JobHub.Bench;

/// <summary>
/// The same figures on an empty database and on grown ones (each within <see cref="Bound"/> times the empty one's): for each,
/// its rate and p99 in every state, and how much slower the grown state was (the larger of the p99's growth and the
/// rate's fall).
/// </summary>
public static class Growth
{
    public const double Bound = 1.5;

    /// <param name="empty">The figures on the empty database.</param>
    /// <param name="grown">Each grown state: its name, the same figures in the same order, and how long seeding it took.</param>
    public static IReadOnlyList<string> Table(IReadOnlyList<Figure> empty, IReadOnlyList<(string State, IReadOnlyList<Figure> Figures, TimeSpan Seeded)> grown)
    {
        var lines = new List<string>
        {
            "",
            $"The same figures as the data grows (target: each within {Bound.ToString(CultureInfo.InvariantCulture)}× of the empty database; " +
            "the grown states were written with set-based SQL, then vacuumed, analysed and checkpointed: " +
            string.Join(", ", grown.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.State} in {g.Seeded.TotalSeconds:0} s"))) + ").",
            "",
            "| figure | empty | " + string.Join(" | ", grown.Select(g => g.State)) + " | verdict |",
            "|---|---|" + string.Concat(grown.Select(_ => "---|")) + "---|",
        };
        for (var i = 0; i < empty.Count; i++)
        {
            var baseline = empty[i];
            var worst = 0.0;
            var cells = new List<string>();
            foreach (var (_, figures, _) in grown)
            {
                var figure = figures[i];
                var ratio = Math.Max(figure.P99 / baseline.P99, baseline.PerSecond is { } rate && figure.PerSecond is { } other ? rate / other : 0);
                worst = Math.Max(worst, ratio);
                cells.Add(string.Create(CultureInfo.InvariantCulture, $"{Cell(figure)} ({ratio:0.00}×)"));
            }

            var name = baseline.Name.Split(" (")[0];
            lines.Add($"| {name} | {Cell(baseline)} | {string.Join(" | ", cells)} | {(worst <= Bound ? "within" : "beyond")} {Bound.ToString(CultureInfo.InvariantCulture)}× |");
        }

        return lines;
    }

    private static string Cell(Figure figure) => figure.PerSecond is { } rate
        ? string.Create(CultureInfo.InvariantCulture, $"{rate:0}/s, p99 {figure.P99:0.0} ms")
        : string.Create(CultureInfo.InvariantCulture, $"p99 {figure.P99:0.0} ms");
}
