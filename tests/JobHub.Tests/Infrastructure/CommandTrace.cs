using System.Collections.Concurrent;
using System.Diagnostics;

namespace JobHub.Tests.Infrastructure;

/// <summary>The commands a call sent to PostgreSQL, from Npgsql's own trace (to count round trips).</summary>
public static class CommandTrace
{
    /// <summary>
    /// Runs <paramref name="call"/> under an activity of its own and returns the SQL of the commands Npgsql traced in it
    /// (in the order they ended) before it returned; each command is one round trip.
    /// </summary>
    public static async Task<(T Result, IReadOnlyList<string> Commands)> RunAsync<T>(Func<Task<T>> call)
    {
        using var source = new ActivitySource("JobHub.Tests.CommandTrace");
        var commands = new ConcurrentQueue<string>();
        ActivityTraceId? trace = null;
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Npgsql" || s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                // A physical connection opened for the call (the pool's were busy) is not one of its commands.
                if (activity.Source.Name == "Npgsql" && activity.TraceId == trace && !activity.DisplayName.StartsWith("CONNECT", StringComparison.Ordinal))
                {
                    commands.Enqueue((activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement")) as string ?? activity.DisplayName);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        T result;
        using (var parent = source.StartActivity("traced")!)
        {
            trace = parent.TraceId;
            result = await call();
            trace = null;
        }

        return (result, commands.ToList());
    }
}
