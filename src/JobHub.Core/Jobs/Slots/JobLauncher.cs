using JobHub.Core.Jobs.Background;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Core.Storage;
using JobHub.Core.Telemetry;
using JobHub.Core.Tools;
using JobHub.Core.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs.Slots;

/// <summary>
/// R9: the one path from <c>starting</c> to <c>running</c>, built from the job row alone. Capacity errors requeue with back-off;
/// others fail and refund. At most once, in this process after the commit (docs/decisions/0011-launches-in-process.md):
/// a start is never retried, and a launch lost with its process is failed and refunded by the orphan sweep (R8).
/// </summary>
public sealed class JobLauncher(
    IDbContextFactory<JobHubDbContext> contexts,
    ToolCatalog catalog,
    IFileStorage storage,
    IRunningHubClient client,
    RunningHubAccounts accounts,
    WebhookTokens webhookTokens,
    JobTermination termination,
    EngineMetrics metrics,
    IOptions<JobHubOptions> options,
    IOptions<RunningHubOptions> runningHubOptions,
    TimeProvider clock,
    Random random,
    ILogger<JobLauncher> logger)
{
    private readonly BackgroundWork launches = new(logger, "launch");
    private readonly BackgroundWork waits = new(logger, "delayed promotion");
    private long nextTicket;

    /// <summary>Launches each job in the background.</summary>
    public void Dispatch(IEnumerable<Guid> jobIds)
    {
        foreach (var jobId in jobIds)
        {
            launches.Run(Interlocked.Increment(ref nextTicket), stopping => LaunchAsync(jobId, stopping));
        }
    }

    /// <summary>
    /// Shutdown: back-off waits end (the promote-queue sweep wakes the queue) and launches under way finish and record their
    /// answer; past <paramref name="giveUp"/> they are abandoned to the orphan sweep (R8), as if the process had died.
    /// </summary>
    public async Task StopAsync(CancellationToken giveUp = default)
    {
        await waits.StopAsync();
        try
        {
            await launches.WhenIdleAsync().WaitAsync(giveUp);
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
        {
            await launches.StopAsync();
        }
    }

    /// <summary>Completes when no launch or scheduled promotion of this instance is under way (tests, shutdown).</summary>
    public async Task WhenIdleAsync()
    {
        // A launch may schedule a promotion, and a promotion launches: idle is when both are.
        do
        {
            await waits.WhenIdleAsync();
            await launches.WhenIdleAsync();
        }
        while (!waits.IsIdle || !launches.IsIdle);
    }

    /// <summary>Fills free slots from the queue and launches what was promoted (R12; the sweep calls this too).</summary>
    public async Task<IReadOnlyList<Guid>> PromoteAsync(string cause, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Guid> promoted;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // Nothing can start (no free slot or account, or the head backs off): the lock is not taken at all.
            if (!await SlotAdmission.CouldPromoteAsync(db, options.Value.MaxConcurrent, clock.GetUtcNow().UtcDateTime))
            {
                return [];
            }

            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            promoted = await SlotAdmission.LockAndPromoteAsync(db, options.Value.MaxConcurrent, clock.GetUtcNow().UtcDateTime, cause, metrics);
            await transaction.CommitAsync(cancellationToken);
        }

        Dispatch(promoted);
        return promoted;
    }

    public async Task LaunchAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        using var activity = EngineTracing.StartLaunch(jobId);
        Job? job;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            job = await JobQueries.ById(db, jobId);
        }

        if (job is null || job.Status != JobStatus.Starting || job.TaskId is not null || job.AccountKey is null)
        {
            activity.Outcome("moved_on");
            return; // another instance or path already moved it on
        }

        activity?.SetTag(EngineTracing.Tool, job.ToolKey);

        try
        {
            var outcome = await StartAtRunningHubAsync(job, cancellationToken);
            activity.Outcome(outcome.Outcome.ToString());
            await ApplyAsync(job, outcome, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Launch of job {JobId} failed unexpectedly", job.Id);
            await FailAsync(job, new JobFailure(JobErrorCodes.LaunchFailed, "JobHub could not start the job. Your credits were returned."));
        }
    }

    private async Task<StartResult> StartAtRunningHubAsync(Job job, CancellationToken cancellationToken)
    {
        var tool = catalog.Find(job.ToolKey) ?? throw new InvalidOperationException($"tool {job.ToolKey} is no longer configured");
        var route = tool.Webapps.FirstOrDefault(r => r.WebappId == job.WebappId)
            ?? throw new InvalidOperationException($"webapp {job.WebappId} is no longer configured for {job.ToolKey}");
        var account = accounts.Get(job.AccountKey!);

        var uploaded = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in job.InputFiles)
        {
            UploadResult upload;
            await using (var content = await storage.OpenReadAsync(input.SentName, cancellationToken))
            {
                upload = await client.UploadAsync(account, content, Path.GetFileName(input.SentName), input.MimeType, cancellationToken);
            }

            if (!upload.IsSuccess)
            {
                return new StartResult(upload.Outcome == CallOutcome.Unknown ? CallOutcome.Transport : upload.Outcome, null, upload.Code, upload.Message);
            }

            uploaded[input.Key] = upload.FileName!;
        }

        var nodes = WebappNodes.For(route, uploaded, job.ParameterValues)
            .Select(node => new NodeInfo(node.NodeId, node.FieldName, node.FieldValue, node.Source)).ToList();
        var request = new StartRequest(route.WebappId, nodes, await webhookTokens.CreateUrlAsync(job.Id), runningHubOptions.Value.InstanceType);
        return await client.StartAsync(account, request, cancellationToken);
    }

    private async Task ApplyAsync(Job job, StartResult result, CancellationToken cancellationToken)
    {
        switch (result.Outcome)
        {
            case CallOutcome.Success when !string.IsNullOrEmpty(result.TaskId):
                await MarkRunningAsync(job, result.TaskId!, cancellationToken);
                break;
            case CallOutcome.Capacity or CallOutcome.RateLimited:
                await RequeueAsync(job, result, cancellationToken);
                break;
            case CallOutcome.Unknown:
                await FailAsync(job, new JobFailure(JobErrorCodes.RunningHubStartUnknown,
                    "RunningHub did not confirm the start in time, so JobHub stopped this job and returned your credits.",
                    result.Code, result.Message));
                break;
            case CallOutcome.Transport:
                await FailAsync(job, new JobFailure(JobErrorCodes.RunningHubUnavailable,
                    "RunningHub could not be reached. Your credits were returned; try again in a moment.", result.Code, result.Message));
                break;
            default:
                await FailAsync(job, new JobFailure(JobErrorCodes.RunningHubError,
                    result.Message is { Length: > 0 } message ? message : $"RunningHub rejected the task (code {result.Code}).",
                    result.Code, result.Message));
                break;
        }
    }

    private async Task MarkRunningAsync(Job job, string taskId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // One statement (the change, its event, the NOTIFY): no transaction of its own needed.
        if (await JobTransitions.MarkRunningAsync(db, job, taskId, now))
        {
            metrics.Started(job.ToolKey, job.StartingAt, now);
            return;
        }

        // The job was cancelled or failed while RunningHub was starting it: stop the paid task we no longer want.
        var current = (await JobQueries.ById(db, job.Id))?.Status;
        await JobEvents.IgnoredAsync(db, job.Id, current ?? "?", JobStatus.Running, now, JobCause.System,
            JobEventMessages.Format(JobEventMessages.UnwantedTask, taskId, current), new { taskId });
        var cancel = await client.CancelAsync(accounts.Get(job.AccountKey!), taskId, CancellationToken.None);
        logger.LogInformation("Cancelled unwanted RunningHub task {TaskId} of job {JobId}: {Outcome}", taskId, job.Id, cancel.Outcome);
    }

    private async Task RequeueAsync(Job job, StartResult result, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var delay = Backoff(job.LaunchAttempts + 1);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await SlotAdmission.LockAsync(db);
            if (!await JobTransitions.RequeueAsync(db, job, now + delay, now,
                    JobEventMessages.Format(JobEventMessages.Capacity, result.Code, result.Message, delay.TotalSeconds),
                    new { result.Code, result.Message, attempt = job.LaunchAttempts + 1 }))
            {
                return; // cancelled meanwhile; its own path promoted
            }

            await transaction.CommitAsync(cancellationToken);
            metrics.Requeued(job.ToolKey);
        }

        // The head waits out its back-off, keeping its place; wake the queue when it ends (the sweep backs this up).
        waits.Run(Interlocked.Increment(ref nextTicket), async stopping =>
        {
            await Task.Delay(delay, clock, stopping);
            await PromoteAsync(JobCause.System, stopping);
        });
    }

    private async Task FailAsync(Job job, JobFailure failure)
    {
        var result = await termination.FailAsync(job.Id, failure, JobCause.System, [JobStatus.Starting]);
        if (result.Outcome == TerminationOutcome.Changed)
        {
            logger.LogWarning("Job {JobId} failed at launch: {Code} {ProviderCode}", job.Id, failure.ErrorCode, failure.ProviderCode);
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var baseDelay = options.Value.CapacityBackoffBase.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16));
        var capped = Math.Min(baseDelay, options.Value.CapacityBackoffMax.TotalMilliseconds);
        double jitter;
        lock (random)
        {
            jitter = 0.8 + (random.NextDouble() * 0.4);
        }

        return TimeSpan.FromMilliseconds(capped * jitter);
    }
}
