using JobHub.Core.Tools;

namespace JobHub.Core.Jobs.Slots;

/// <summary>A job in a slot: how long its run is estimated to take, and since when it has held the slot.</summary>
public sealed record SlotRun(TimeSpan Estimate, DateTime Since);

/// <summary>
/// The one estimate the tool pages show (idle form, queued, running): the tool's recent median, else its configured one.
/// A run past its estimate is expected to go on a while yet, and a queued job waits for the slots ahead as late as they now end.
/// </summary>
public sealed record RunEstimates(RecentRunTimes Recent, ToolCatalog Catalog, IReadOnlyList<SlotRun> InSlot, int Slots, DateTime ReadAt)
{
    /// <summary>What a run is taken to last when nothing better is known (no recent run, no configured estimate).</summary>
    public static readonly TimeSpan DefaultRun = TimeSpan.FromMinutes(2);

    /// <summary>The least time a run still under way, or a wait, is said to have left: never "0 s" while it lasts.</summary>
    public static readonly TimeSpan MinimumLeft = TimeSpan.FromSeconds(5);

    /// <summary>How long a run of <paramref name="toolKey"/> with these parameters is estimated to take.</summary>
    public TimeSpan Run(string toolKey, IReadOnlyDictionary<string, string> parameters) =>
        Recent.For(toolKey) ?? Catalog.Find(toolKey)?.EstimateFor(parameters) ?? AnyRun;

    public TimeSpan Run(Job job) => Run(job.ToolKey, job.ParameterValues);

    /// <summary>A run of a tool not known in advance (the jobs ahead in the queue): what any run took lately, else the tools' usual.</summary>
    public TimeSpan AnyRun => Recent.AllTools ?? Median(Catalog.All.Select(t => t.EstimateFor(new Dictionary<string, string>())).OfType<TimeSpan>()) ?? DefaultRun;

    /// <summary>When the job took its slot (starting or running).</summary>
    public static DateTime Since(Job job) => job.StartedAt ?? job.StartingAt ?? job.CreatedAt;

    /// <summary>
    /// What is left of a run estimated at <paramref name="estimate"/> after <paramref name="elapsed"/>: the rest of the
    /// estimate, but never less than a quarter of the time it has run so far (a run past its estimate is going slower than
    /// usual, and the longer it runs the longer it is likely to go on), nor less than <see cref="MinimumLeft"/>.
    /// </summary>
    public static TimeSpan Remaining(TimeSpan estimate, TimeSpan elapsed) =>
        Max(estimate - elapsed, Max(MinimumLeft, elapsed / 4));

    /// <summary>What is left of <paramref name="job"/>'s run at <paramref name="now"/>.</summary>
    public TimeSpan Remaining(Job job, DateTime now) => Remaining(Run(job), Max(TimeSpan.Zero, now - Since(job)));

    /// <summary>The estimated wait of the job at <paramref name="position"/> (1 = next) at <paramref name="now"/>; null when it is not queued.</summary>
    public TimeSpan? QueueWait(int position, DateTime now) =>
        position > 0 ? QueueWait(position, Slots, InSlot.Select(run => Remaining(run.Estimate, Max(TimeSpan.Zero, now - run.Since))).ToList(), AnyRun) : null;

    /// <summary>
    /// The wait of the job at <paramref name="position"/>: each slot frees when its run's remaining time is over (a free
    /// slot at once); the jobs ahead take the slots in order as they free, each for <paramref name="perJob"/>; the job
    /// starts when the next slot frees after them.
    /// </summary>
    public static TimeSpan QueueWait(int position, int slots, IReadOnlyList<TimeSpan> slotRemaining, TimeSpan perJob)
    {
        var frees = new PriorityQueue<TimeSpan, TimeSpan>();
        foreach (var remaining in slotRemaining)
        {
            frees.Enqueue(remaining, remaining);
        }

        for (var free = slotRemaining.Count; free < Math.Max(1, slots); free++)
        {
            frees.Enqueue(TimeSpan.Zero, TimeSpan.Zero);
        }

        for (var ahead = 1; ahead < position; ahead++)
        {
            var next = frees.Dequeue() + perJob;
            frees.Enqueue(next, next);
        }

        return Max(MinimumLeft, frees.Dequeue());
    }

    private static TimeSpan? Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? null : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
