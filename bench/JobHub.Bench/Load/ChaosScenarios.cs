using System.Globalization;

namespace JobHub.Bench.Load;

/// <summary>The chaos runs (each fault alone, then all together) and how their results read in the report.</summary>
public static class ChaosScenarios
{
    public static readonly IReadOnlyList<(string Name, Faults Faults)> Each =
    [
        ("30 % webhooks lost", Faults.LostWebhooks),
        ("30 % webhooks duplicated (+ a stale copy)", Faults.DuplicateWebhooks),
        ("10 % provider failures", Faults.ProviderFailures),
        ("10 % capacity errors", Faults.CapacityErrors),
        ("5 % starts with unknown outcome", Faults.UnknownStarts),
        ("JobHub killed with SIGKILL twice", Faults.Kill),
        ("PostgreSQL restarted", Faults.PostgresRestart),
        ("all of them together", Faults.All),
    ];

    public static IReadOnlyList<string> Table(IReadOnlyList<ScenarioResult> results)
    {
        var lines = new List<string>
        {
            "Each run: simulated users over HTTP for the given time, one job at a time each, over the four tools; then no new",
            "jobs, the system left to settle (every job terminal), the invariant checker run on the database, and every completed",
            "job's result files checked to be copied (a job without them counts as a violation).",
            "",
            "| scenario | users × time | jobs | completed / failed / cancelled | settled in | violations | submit p50 / p99 |",
            "|---|---|---|---|---|---|---|",
        };
        foreach (var r in results)
        {
            var submit = r.Figures.FirstOrDefault(f => f.Name.Contains(": submit", StringComparison.Ordinal));
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Scenario.Name} | {r.Scenario.Plan.Users} × {r.Scenario.Plan.Duration.TotalSeconds:0} s{(r.Scenario.Instances > 1 ? $", {r.Scenario.Instances} instances" : "")} | {r.Outcomes.Jobs} | {r.Outcomes.Completed} / {r.Outcomes.Failed} / {r.Outcomes.Cancelled} | {(r.Settled ? $"{r.SettleTime.TotalSeconds:0.0} s" : "**not settled**")} | {(r.Violations.Count == 0 ? "0" : $"**{r.Violations.Count}**")} | {(submit is null ? "-" : $"{submit.P50:0} / {submit.P99:0} ms")} |"));
        }

        lines.AddRange(Details(results));
        return lines;
    }

    public static IReadOnlyList<string> FullRun(ScenarioResult r)
    {
        var o = r.Outcomes;
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"{r.Scenario.Plan.Users} simulated users over HTTP and {r.Scenario.Browsers} in Chromium for {r.Scenario.Plan.Duration.TotalMinutes:0.#} minutes, with {FaultNames.Describe(r.Scenario.Faults)}: 30 % webhooks lost, 30 % duplicated, 10 % provider failures, 10 % capacity errors, 5 % starts with unknown outcome, JobHub{(r.Scenario.Instances > 1 ? $" ({r.Scenario.Instances} instances on one database, one of them each time)" : "")} killed with SIGKILL {r.Scenario.Kills} times and restarted, PostgreSQL restarted once. MaxConcurrent 3; tasks take 1.2 s at the simulator."),
            "",
            string.Create(CultureInfo.InvariantCulture,
                $"- Jobs: {o.Jobs} ({o.Completed} completed, {o.Failed} failed, {o.Cancelled} cancelled); {(r.Settled ? $"settled {r.SettleTime.TotalSeconds:0.0} s after the users stopped" : "**did not settle**")}."),
            string.Create(CultureInfo.InvariantCulture,
                $"- Throughput: {o.Completed / Math.Max(1, o.SpanSeconds) * 60:0.0} completed jobs/min, {o.Jobs / Math.Max(1, o.SpanSeconds) * 60:0.0} jobs ended/min (3 slots × 1.2 s tasks bound it at ~150/min)."),
            $"- Invariant checker: {(r.Violations.Count == 0 ? "**0 violations**" : $"**{r.Violations.Count} violations**")}.",
            "",
            "| figure | p50 | p99 | max | target |",
            "|---|---|---|---|---|",
        };
        lines.AddRange(r.Figures.Select(f => f.ToMarkdownRow()));
        lines.AddRange(Details([r]));
        return lines;
    }

    private static IEnumerable<string> Details(IReadOnlyList<ScenarioResult> results)
    {
        yield return "";
        yield return "<details><summary>Run logs: timeline, outcomes by error code, what the users saw</summary>";
        yield return "";
        foreach (var r in results)
        {
            yield return $"**{r.Scenario.Name}**";
            yield return "";
            yield return "```";
            foreach (var line in r.Events)
            {
                yield return line;
            }

            yield return "outcomes: " + string.Join(", ", r.Outcomes.ErrorCodes.Select(c => $"{c.Key} {c.Value}"));
            yield return "users saw: " + string.Join(", ", r.Report.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
            foreach (var v in r.Violations.Take(20))
            {
                yield return $"VIOLATION {v.Rule} {v.Subject}: {v.Detail}";
            }

            yield return "```";
            yield return "";
        }

        yield return "</details>";
    }
}
