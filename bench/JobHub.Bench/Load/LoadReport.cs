using System.Collections.Concurrent;

namespace JobHub.Bench.Load;

/// <summary>What the simulated users saw: latency samples by name, counts by outcome, and the first example of each odd answer.</summary>
public sealed class LoadReport
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<double>> samples = new();
    private readonly ConcurrentDictionary<string, int> counts = new();
    private readonly ConcurrentDictionary<string, string> examples = new();

    public void Sample(string name, TimeSpan value) => samples.GetOrAdd(name, _ => []).Add(value.TotalMilliseconds);

    public void Count(string name, string? example = null)
    {
        counts.AddOrUpdate(name, 1, (_, n) => n + 1);
        if (example is not null)
        {
            examples.TryAdd(name, example);
        }
    }

    public IReadOnlyList<double> Samples(string name) => samples.TryGetValue(name, out var bag) ? bag.ToList() : [];

    public int CountOf(string name) => counts.GetValueOrDefault(name);

    public IReadOnlyDictionary<string, int> Counts => counts.ToDictionary();

    /// <summary>Answers no well-behaved run gives (HTTP errors other than JobHub being down); empty when all went as expected.</summary>
    public IReadOnlyList<string> Unexpected => counts.Keys.Where(k => k.Contains("HTTP", StringComparison.Ordinal))
        .Select(k => $"{k} ×{counts[k]}: {examples.GetValueOrDefault(k)}").ToList();
}
