using System.Globalization;
using JobHub.Core.Admin;
using MudBlazor;

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

    /// <summary>
    /// The chart's vertical axis. MudBlazor spaces its ticks in whole units of the data, and a day's cost is often a few
    /// cents, so the bars are drawn in cents (<see cref="Cents"/>), with about four ticks on a round step, labelled in
    /// dollars.
    /// </summary>
    public static BarChartOptions Axis(IReadOnlyList<CostSeries> series)
    {
        var highest = series.SelectMany(s => s.Bars).Select(b => Cents(b.Cost)).DefaultIfEmpty(0).Max();
        return new BarChartOptions
        {
            YAxisTicks = Step(highest / 4),
            YAxisToStringFunc = cents => (cents / 100).ToString("0.00", CultureInfo.CurrentCulture),
            ShowToolTips = false,
        };
    }

    public static double Cents(decimal dollars) => (double)(dollars * 100);

    /// <summary>The round step (1, 2 or 5 times a power of ten, at least 1) nearest above <paramref name="rough"/>.</summary>
    public static int Step(double rough)
    {
        var step = 1;
        while (step < rough)
        {
            step = step.ToString(CultureInfo.InvariantCulture)[0] == '2' ? step / 2 * 5 : step * 2;
        }

        return step;
    }
}
