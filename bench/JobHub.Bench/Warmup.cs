using System.Globalization;
using System.Runtime;

namespace JobHub.Bench;

/// <summary>
/// Figures are measured on the code a long-running JobHub runs, once the tiered JIT has recompiled the hot paths, which on
/// busy cores lags the load by thousands of requests: the runs are repeated, unmeasured, until one compiles fewer than
/// <see cref="SettledBelow"/> methods; the report says how many it took (docs/decisions/0012-benchmarks-after-the-jit.md).
/// </summary>
public static class Warmup
{
    /// <summary>Methods compiled during a pass below which the JIT is taken as done with it.</summary>
    public const int SettledBelow = 100;

    /// <summary>Passes after which the figures are measured anyway (and the report says the JIT had not settled).</summary>
    public const int MaxPasses = 25;

    /// <param name="pass">One unmeasured run of the figures; returns the rate the report follows (per second).</param>
    /// <returns>A line for the report: how many passes, the rate of the first and of the last, and the methods compiled.</returns>
    public static async Task<string> UntilJitSettlesAsync(string what, Func<Task<double>> pass)
    {
        var rates = new List<double>();
        var compiled = 0L;
        while (rates.Count < MaxPasses)
        {
            var before = JitInfo.GetCompiledMethodCount();
            rates.Add(await pass());
            compiled = JitInfo.GetCompiledMethodCount() - before;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  warm-up pass {rates.Count}: {rates[^1]:N0} {what}/s, {compiled:N0} methods compiled"));
            if (compiled < SettledBelow)
            {
                break;
            }
        }

        var settled = compiled < SettledBelow
            ? string.Create(CultureInfo.InvariantCulture, $"until a pass compiled fewer than {SettledBelow} methods ({compiled:N0})")
            : string.Create(CultureInfo.InvariantCulture, $"and the JIT had not settled ({compiled:N0} methods compiled in the last)");
        return string.Create(CultureInfo.InvariantCulture,
            $"Warm-up, not measured: {rates.Count} passes of the figures' own runs ({rates[0]:N0} {what}/s in the first, {rates[^1]:N0}/s in the last), {settled}.");
    }
}
