using System.Globalization;
using JobHub.Core.Admin;

namespace JobHub.Web.Components.Pages.Admin;

/// <summary>One bar of the cost chart: a day's label and a tool's cost that day.</summary>
public sealed record CostBar(string Day, decimal Cost);

/// <summary>A tool's bars, one for every day of the chart (zero where it ran nothing), in day order.</summary>
public sealed record CostSeries(string ToolKey, IReadOnlyList<CostBar> Bars);

/// <summary>
/// The cost-per-day chart's data: every day of the window once, in order, as the category axis, and every tool's
/// series with a bar on each of those days, so each bar stands over its own day whatever days a tool missed.
/// </summary>
public static class CostChart
{
    public static IReadOnlyList<CostSeries> Build(IReadOnlyList<CostPoint> points, DateTime lastDay, int days)
    {
        var firstDay = lastDay.Date.AddDays(-(days - 1));
        var labels = Enumerable.Range(0, days).Select(i => firstDay.AddDays(i)).ToList();
        return points.Select(p => p.ToolKey).Distinct().Order(StringComparer.Ordinal)
            .Select(tool => new CostSeries(tool, labels.Select(day => new CostBar(Label(day),
                points.Where(p => p.ToolKey == tool && p.Day.Date == day).Sum(p => p.Cost))).ToList()))
            .ToList();
    }

    public static string Label(DateTime day) => day.ToString("dd/MM", CultureInfo.InvariantCulture);
}
