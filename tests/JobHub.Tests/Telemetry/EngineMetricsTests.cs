using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using JobHub.Core.Jobs;
using JobHub.Core.RunningHub;
using JobHub.Core.Telemetry;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Telemetry;

/// <summary>The engine's counts with several instances: each event is counted once, by the instance whose statement made it.</summary>
public sealed class EngineMetricsTests
{
    [Fact]
    public async Task AJobEndedByTwoInstancesAtOnce_IsCountedOnce()
    {
        await using var first = await EngineHarness.CreateAsync();
        await using var second = await EngineHarness.CreateAsync(sharedDatabase: first.DatabaseName);
        using var counts = new EngineCounts(first.Services, second.Services);
        var job = await first.RunningJobAsync();
        foreach (var instance in new[] { first, second })
        {
            instance.RunningHub.QueryAnswer = _ => new TaskQueryResult(CallOutcome.Success, RemoteTaskStatus.Success, [], null, RawStatus: "SUCCESS");
        }

        // Reconciliations and webhook verdicts from both instances, all at once.
        await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
        {
            var instance = i % 2 == 0 ? first : second;
            return i < 8
                ? (Task)instance.Reconcile.HandleAsync(job.Id, JobCause.Reconcile)
                : instance.Finish.CompleteAsync(job.Id, [], null, JobCause.Webhook);
        }));

        Assert.Equal(JobStatus.Completed, (await first.GetJobAsync(job.Id)).Status);
        Assert.Equal(1, counts.Of("jobhub.jobs.started"));
        Assert.Equal(1, counts.Of("jobhub.jobs.completed"));
        Assert.Equal(1, counts.Of("jobhub.job.duration"));
        Assert.Equal(1, counts.Of("jobhub.job.run.duration"));
        Assert.True(counts.Of("jobhub.jobs.reconciled") <= 1);
        Assert.Equal(0, counts.Of("jobhub.credits.refunds"));
    }

    /// <summary>The engine's counters summed, and its histograms' observations counted, over the given hosts' meters only.</summary>
    private sealed class EngineCounts : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentDictionary<string, long> totals = new();

        public EngineCounts(params IServiceProvider[] hosts)
        {
            var factories = hosts.Select(h => h.GetRequiredService<IMeterFactory>()).ToList();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == EngineMetrics.MeterName && factories.Any(f => ReferenceEquals(f, instrument.Meter.Scope)))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value));
            listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => totals.AddOrUpdate(instrument.Name, 1, (_, total) => total + 1));
            listener.Start();
            foreach (var host in hosts)
            {
                _ = host.GetRequiredService<EngineMetrics>(); // its instruments exist before the work they count
            }
        }

        public long Of(string name) => totals.GetValueOrDefault(name);

        public void Dispose() => listener.Dispose();
    }
}
