using System.Collections.Specialized;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Quartz.Impl;
using Quartz.Spi;

namespace JobHub.Core.Maintenance;

/// <summary>What the dashboard shows of one sweep.</summary>
public sealed record MaintenanceTaskStatus(
    string Key,
    string Description,
    TimeSpan Interval,
    bool Paused,
    DateTimeOffset? NextRunAt,
    MaintenanceRun? LastRun);

/// <summary>
/// Starts Quartz (core package; its DI integration is not available here, so this hosted service and the
/// job factory below are ours) with one repeating trigger per sweep, each run going through
/// <see cref="MaintenanceRunner"/>. Quartz keeps the schedule in memory: every instance runs every sweep,
/// which is safe because sweeps are idempotent, and pausing lives in the database so it holds everywhere.
/// </summary>
public sealed class MaintenanceScheduler(MaintenanceRunner runner, IOptions<MaintenanceOptions> options, ILogger<MaintenanceScheduler> logger)
    : IHostedService
{
    private const string Group = "maintenance";
    private IScheduler? scheduler;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            logger.LogInformation("Scheduled maintenance is off in this instance (JobHub:Maintenance:Enabled=false)");
            return;
        }

        var properties = new NameValueCollection
        {
            ["quartz.scheduler.instanceName"] = $"jobhub-maintenance-{Guid.NewGuid():N}",
            ["quartz.threadPool.maxConcurrency"] = "3",
        };
        scheduler = await new StdSchedulerFactory(properties).GetScheduler(cancellationToken);
        scheduler.JobFactory = new RunnerJobFactory(runner);
        foreach (var task in runner.Tasks)
        {
            var interval = options.Value.IntervalFor(task.Key);
            var job = JobBuilder.Create<SweepJob>().WithIdentity(task.Key, Group).UsingJobData(SweepJob.TaskKey, task.Key).Build();
            var trigger = TriggerBuilder.Create()
                .WithIdentity(task.Key, Group)
                .StartAt(DateTimeOffset.UtcNow + interval)
                .WithSimpleSchedule(schedule => schedule.WithInterval(interval).RepeatForever().WithMisfireHandlingInstructionNextWithRemainingCount())
                .Build();
            await scheduler.ScheduleJob(job, trigger, cancellationToken);
        }

        await scheduler.Start(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (scheduler is null)
        {
            return;
        }

        await scheduler.Standby(cancellationToken);
        foreach (var running in await scheduler.GetCurrentlyExecutingJobs(cancellationToken))
        {
            try
            {
                await scheduler.Interrupt(running.JobDetail.Key, cancellationToken);
            }
            catch (ObjectDisposedException)
            {
                // The run ended between the listing and the interrupt (Quartz had disposed its token): nothing to stop.
            }
        }

        await scheduler.Shutdown(waitForJobsToComplete: true, cancellationToken);
    }

    /// <summary>Every sweep with its schedule, pause flag, next run (in this instance) and last recorded run (in any instance).</summary>
    public async Task<IReadOnlyList<MaintenanceTaskStatus>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<MaintenanceTaskStatus>();
        foreach (var task in runner.Tasks.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            DateTimeOffset? next = null;
            if (scheduler is not null && await scheduler.GetTrigger(new TriggerKey(task.Key, Group), cancellationToken) is { } trigger)
            {
                next = trigger.GetNextFireTimeUtc();
            }

            var last = (await runner.HistoryAsync(task.Key, 1, cancellationToken)).FirstOrDefault();
            result.Add(new MaintenanceTaskStatus(task.Key, task.Description, options.Value.IntervalFor(task.Key),
                await runner.IsPausedAsync(task.Key, cancellationToken), next, last));
        }

        return result;
    }

    /// <summary>Quartz's job for every sweep; never runs two copies of one sweep at once in this instance.</summary>
    [DisallowConcurrentExecution]
    private sealed class SweepJob(MaintenanceRunner runner) : IJob
    {
        public const string TaskKey = "task";

        public Task Execute(IJobExecutionContext context) =>
            runner.RunAsync(context.MergedJobDataMap.GetString(TaskKey)!, MaintenanceTriggers.Schedule, context.CancellationToken);
    }

    private sealed class RunnerJobFactory(MaintenanceRunner runner) : IJobFactory
    {
        public IJob NewJob(TriggerFiredBundle bundle, IScheduler scheduler) => new SweepJob(runner);

        public void ReturnJob(IJob job)
        {
        }
    }
}
