using System.Threading.Channels;
using Hangfire;
using JobHub.Core.Jobs.Background;
using JobHub.Core.Maintenance;
using JobHub.Core.Persistence;
using JobHub.Core.Storage;
using JobHub.Core.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs.Outputs;

/// <summary>
/// Copies a completed job's result files from RunningHub (whose URLs expire) into JobHub's storage; until then the job shows
/// RunningHub's URL. Durable Hangfire jobs, batched, each retry in a job of its own while attempts and URLs last; of two
/// racing copies the first stored wins (docs/decisions/0010-durable-output-copies.md).
/// </summary>
public sealed class CopyOutputs(
    IDbContextFactory<JobHubDbContext> contexts,
    IFileStorage storage,
    IHttpClientFactory httpClients,
    IBackgroundJobClient hangfire,
    IOptions<MaintenanceOptions> options,
    OutputUrlPolicy policy,
    EngineMetrics metrics,
    TimeProvider clock,
    ILogger<CopyOutputs> logger)
{
    public const string HttpClientName = "jobhub-outputs";

    /// <summary>The Hangfire queue of the copies (served by its own workers, so long downloads never hold up the sweeps).</summary>
    public const string Queue = "outputs";

    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromHours(1);

    /// <summary>The most completions one Hangfire job copies.</summary>
    public const int MaxBatch = 100;

    // Not SingleReader: that channel's reader cannot count what waits, which the loop reads to skip the window when full.
    private readonly Channel<Guid> completions = Channel.CreateUnbounded<Guid>();
    private readonly CancellationTokenSource stopping = new();
    private int notYetEnqueued;

    /// <summary>The copies this instance's copy jobs run at once, batches and single copies together.</summary>
    private readonly SemaphoreSlim copying = new(Math.Max(1, options.Value.OutputCopyWorkers));

    private BackgroundLoop? batching;

    private BackgroundLoop Batching => LazyInitializer.EnsureInitialized(ref batching, () => new BackgroundLoop(EnqueueBatchesAsync));

    /// <summary>
    /// Enqueues the copy of a job that just completed, off the caller's path (the webhook answers without waiting for
    /// Hangfire), together with the completions that arrive within the batch window. Should this instance die before the
    /// enqueue, the sweep enqueues it.
    /// </summary>
    public void Enqueue(Guid jobId)
    {
        Interlocked.Increment(ref notYetEnqueued);
        if (!completions.Writer.TryWrite(jobId))
        {
            Interlocked.Decrement(ref notYetEnqueued); // stopping: the sweep of a running instance enqueues it
            return;
        }

        Start();
    }

    /// <summary>Starts taking completions (the host's start, EngineLifetime; harnesses without a host start on first use).</summary>
    public void Start() => Batching.Start();

    /// <summary>
    /// Takes the completions as they come: waits the batch window after the first, then enqueues all that arrived (at most
    /// <see cref="MaxBatch"/>) as one Hangfire job. Runs until the instance stops, then enqueues what is left.
    /// </summary>
    private async Task EnqueueBatchesAsync()
    {
        var batch = new List<Guid>(MaxBatch);
        while (await completions.Reader.WaitToReadAsync())
        {
            // A full batch waiting goes at once; otherwise the window gathers what arrives.
            if (completions.Reader.Count < MaxBatch && !stopping.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(options.Value.OutputCopyBatchWindow, stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    // stopping: enqueue what arrived at once
                }
            }

            while (batch.Count < MaxBatch && completions.Reader.TryRead(out var jobId))
            {
                batch.Add(jobId);
            }

            try
            {
                await EnqueueBatchAsync(batch, CancellationToken.None);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Could not enqueue the copy of {Count} completed job(s); the copy-outputs sweep will", batch.Count);
            }
            finally
            {
                Interlocked.Add(ref notYetEnqueued, -batch.Count);
                batch.Clear();
            }
        }
    }

    /// <summary>
    /// Enqueues one Hangfire job for <paramref name="jobIds"/> (a lone job's own copy, else a batch) and records it on
    /// each of them that has none yet; the Hangfire job id.
    /// </summary>
    public async Task<string> EnqueueBatchAsync(IReadOnlyList<Guid> jobIds, CancellationToken cancellationToken = default)
    {
        var first = jobIds[0];
        var ids = jobIds.ToArray();
        var id = ids.Length == 1
            ? hangfire.Enqueue<CopyOutputs>(copy => copy.RunAsync(first, CancellationToken.None))
            : hangfire.Enqueue<CopyOutputs>(copy => copy.RunBatchAsync(ids, CancellationToken.None));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Set<Job>().Where(j => ids.Contains(j.Id) && j.OutputCopyJobId == null)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.OutputCopyJobId, id), cancellationToken);
        return id;
    }

    /// <summary>
    /// Enqueues a copy and records its Hangfire job on the job, unless another one was recorded meanwhile
    /// (<paramref name="replacing"/> is the one the caller saw); the Hangfire job id.
    /// </summary>
    public async Task<string> EnqueueAsync(Guid jobId, string? replacing, CancellationToken cancellationToken = default)
    {
        var id = hangfire.Enqueue<CopyOutputs>(copy => copy.RunAsync(jobId, CancellationToken.None));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Set<Job>().Where(j => j.Id == jobId && j.OutputCopyJobId == replacing)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.OutputCopyJobId, id), cancellationToken);
        return id;
    }

    /// <summary>
    /// Shutdown: enqueues the completions still waiting for their batch (copies themselves stop with the Hangfire server,
    /// which requeues them).
    /// </summary>
    public async Task StopAsync()
    {
        completions.Writer.TryComplete();
        await stopping.CancelAsync();
        Start(); // what was written before the loop ever started is enqueued too
        await Batching.Completion;
    }

    /// <summary>Completes when every completion this instance was told of has its copy enqueued.</summary>
    public async Task WhenIdleAsync()
    {
        Start();
        while (Volatile.Read(ref notYetEnqueued) > 0)
        {
            if (Batching.Running is { IsCompleted: true } ended)
            {
                await ended; // the loop ended (stopped, or failed: its exception says why) with completions left
                return;
            }

            await Task.Delay(5);
        }
    }

    /// <summary>
    /// The Hangfire job of one copy: done, nothing to do, or given up (a failed Hangfire job saying why); a failure
    /// that may pass throws <see cref="OutputCopyRetryException"/>, which <see cref="OutputCopyRetryAttribute"/>
    /// turns into a retry after the wait it names.
    /// </summary>
    [Queue(Queue)]
    [AutomaticRetry(Attempts = 0)]
    [OutputCopyRetry]
    [JobDisplayName("copy outputs of job {0}")]
    public async Task<string> RunAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var attempt = await CopyOneAsync(jobId, cancellationToken);
        return attempt.Outcome switch
        {
            CopyOutcome.Copied => "copied",
            CopyOutcome.NothingToCopy => "nothing to copy",
            CopyOutcome.RetryLater => throw new OutputCopyRetryException(attempt.Error!, attempt.RetryIn),
            _ => throw new OutputCopyGaveUpException(attempt.Error!),
        };
    }

    /// <summary>
    /// The Hangfire job of a batch of completions: one attempt at each (a few at once); a failure that may pass is retried
    /// in a Hangfire job of that copy's own, after the wait it names. Says how many were copied, retried and given up.
    /// </summary>
    [Queue(Queue)]
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("copy outputs of a batch of completed jobs")]
    public async Task<string> RunBatchAsync(Guid[] jobIds, CancellationToken cancellationToken)
    {
        var outcomes = new int[Enum.GetValues<CopyOutcome>().Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.OutputCopyWorkers), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(jobIds, parallel, async (jobId, token) =>
        {
            CopyAttempt attempt;
            try
            {
                attempt = await CopyOneAsync(jobId, token);
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                // One copy's trouble (the database gone a moment, the disk) is that copy's: it is retried on its own.
                logger.LogWarning(ex, "Copying the outputs of job {JobId} failed in a batch; it is retried on its own", jobId);
                attempt = new CopyAttempt(CopyOutcome.RetryLater, ex.Message, RetryDelay(1));
            }

            if (attempt.Outcome == CopyOutcome.RetryLater)
            {
                try
                {
                    var retry = hangfire.Schedule<CopyOutputs>(copy => copy.RunAsync(jobId, CancellationToken.None), attempt.RetryIn);
                    await using var db = await contexts.CreateDbContextAsync(token);
                    await db.Set<Job>().Where(j => j.Id == jobId).ExecuteUpdateAsync(set => set.SetProperty(j => j.OutputCopyJobId, retry), token);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    logger.LogWarning(ex, "The retry of job {JobId}'s copy could not be scheduled; the copy-outputs sweep will", jobId);
                }
            }

            Interlocked.Increment(ref outcomes[(int)attempt.Outcome]);
        });
        return $"{outcomes[(int)CopyOutcome.Copied]} copied, {outcomes[(int)CopyOutcome.RetryLater]} to retry, " +
            $"{outcomes[(int)CopyOutcome.GaveUp]} given up, {outcomes[(int)CopyOutcome.NothingToCopy]} with nothing to copy";
    }

    /// <summary>One attempt, when one of this instance's copy places is free (<see cref="MaintenanceOptions.OutputCopyWorkers"/>).</summary>
    private async Task<CopyAttempt> CopyOneAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await copying.WaitAsync(cancellationToken);
        try
        {
            return await CopyAsync(jobId, cancellationToken);
        }
        finally
        {
            copying.Release();
        }
    }

    /// <summary>One attempt at copying the outputs of one completed job.</summary>
    public async Task<CopyAttempt> CopyAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        using var activity = EngineTracing.StartJob("job.copy_outputs", jobId);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = "error";
        try
        {
            var attempt = await AttemptAsync(jobId, cancellationToken);
            outcome = attempt.Outcome switch
            {
                CopyOutcome.Copied => "copied",
                CopyOutcome.RetryLater => "retry",
                CopyOutcome.GaveUp => "gave_up",
                _ => "nothing_to_copy",
            };
            return attempt;
        }
        finally
        {
            metrics.OutputCopy(outcome, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            activity.Outcome(outcome);
        }
    }

    private async Task<CopyAttempt> AttemptAsync(Guid jobId, CancellationToken cancellationToken)
    {
        Job? job;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            job = await JobQueries.ById(db, jobId);
        }

        // A job whose files were deleted (its owner deleted the account) gets no copies any more.
        if (job is not { Status: JobStatus.Completed, OutputsCopiedAt: null, FilesDeletedAt: null } || job.OutputCopyAttempts >= options.Value.OutputCopyMaxAttempts)
        {
            return new CopyAttempt(CopyOutcome.NothingToCopy);
        }

        if (clock.GetUtcNow().UtcDateTime >= UrlsExpireAt(job))
        {
            return await FailedAsync(job, "RunningHub's result links expired before the files could be copied", final: true, cancellationToken);
        }

        var saved = new List<string>();
        var copies = new List<JobOutput>();
        try
        {
            foreach (var output in job.OutputFiles)
            {
                if (output.StoredName is not null && await storage.ExistsAsync(output.StoredName, cancellationToken))
                {
                    copies.Add(output);
                    continue;
                }

                var storedName = await DownloadAsync(output.Url, job.AccountKey, cancellationToken);
                saved.Add(storedName);
                copies.Add(output with { StoredName = storedName });
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or UriFormatException or TimeoutException ||
            (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await DeleteAllAsync(saved);
            // A refused URL stays refused and a file over the limit stays too large: no retries; the job keeps RunningHub's
            // link and the reason is recorded.
            var refusal = ex as OutputUrlRefusedException ?? ex.InnerException as OutputUrlRefusedException;
            logger.LogWarning("Could not copy the outputs of job {JobId} (attempt {Attempt}): {Error}", jobId, job.OutputCopyAttempts + 1, ex.Message);
            return await FailedAsync(job, refusal is null ? ex.Message : "refused: " + refusal.Message,
                final: refusal is not null || ex is InvalidDataException, cancellationToken);
        }
        catch
        {
            await DeleteAllAsync(saved);
            throw;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // Raw SQL: the first copy stored wins, decided by this one conditional statement (with its event and NOTIFY).
            var stored = await db.Database.ExecuteSqlAsync(JobEvents.WithNote($"""
                UPDATE jobs SET outputs = {JobJson.Serialize(copies)}::jsonb, outputs_copied_at = {now},
                                output_copy_attempts = output_copy_attempts + 1, output_copy_error = NULL, updated_at = {now}
                WHERE id = {jobId} AND status = 'completed' AND outputs_copied_at IS NULL AND files_deleted_at IS NULL
                """, job, "outputs_copied", now, JobCause.System, JobEventMessages.Format(JobEventMessages.OutputsCopied, copies.Count)), cancellationToken);
            if (stored == 0)
            {
                await DeleteAllAsync(saved); // another copy stored its files first
                return new CopyAttempt(CopyOutcome.NothingToCopy);
            }
        }

        return new CopyAttempt(CopyOutcome.Copied);
    }

    /// <summary>The wait before the attempt after <paramref name="attemptsMade"/>: the first retry delay, doubled each time, at most an hour.</summary>
    public TimeSpan RetryDelay(int attemptsMade)
    {
        var delay = options.Value.OutputCopyRetryDelay * Math.Pow(2, Math.Clamp(attemptsMade - 1, 0, 20));
        return delay < LongestRetryDelay ? delay : LongestRetryDelay;
    }

    /// <summary>When RunningHub's result links of a completed job stop working.</summary>
    private DateTime UrlsExpireAt(Job job) => (job.CompletedAt ?? job.UpdatedAt) + options.Value.OutputUrlLifetime;

    /// <summary>Records a failed attempt; retried later unless final, out of attempts, or the URLs would expire first.</summary>
    private async Task<CopyAttempt> FailedAsync(Job job, string error, bool final, CancellationToken cancellationToken)
    {
        var maxAttempts = options.Value.OutputCopyMaxAttempts;
        var attempts = job.OutputCopyAttempts + 1;
        var retryIn = RetryDelay(attempts);
        final = final || attempts >= maxAttempts || clock.GetUtcNow().UtcDateTime + retryIn >= UrlsExpireAt(job);
        error = error.Length > 1000 ? error[..1000] : error;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // A final failure uses up the attempts, so that neither a retry nor the sweep tries again.
        await db.Set<Job>().Where(j => j.Id == job.Id && j.OutputsCopiedAt == null).ExecuteUpdateAsync(set => set
            .SetProperty(j => j.OutputCopyAttempts, j => final ? Math.Max(j.OutputCopyAttempts + 1, maxAttempts) : j.OutputCopyAttempts + 1)
            .SetProperty(j => j.OutputCopyError, error), cancellationToken);
        return final ? new CopyAttempt(CopyOutcome.GaveUp, error) : new CopyAttempt(CopyOutcome.RetryLater, error, retryIn);
    }

    /// <summary>
    /// Downloads one result file within <see cref="MaintenanceOptions.OutputCopyTimeout"/>, body included, and stores it
    /// as the image or video its content is (never under the URL's name or the server's declared type).
    /// </summary>
    private async Task<string> DownloadAsync(string url, string? accountKey, CancellationToken cancellationToken)
    {
        var timeout = options.Value.OutputCopyTimeout;
        using var deadline = new CancellationTokenSource(timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await DownloadWithinAsync(url, accountKey, linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the result file was not downloaded within {timeout}");
        }
    }

    private async Task<string> DownloadWithinAsync(string url, string? accountKey, CancellationToken cancellationToken)
    {
        const int maxRedirects = 5;
        var uri = new Uri(url, UriKind.Absolute);
        using var http = httpClients.CreateClient(HttpClientName);
        HttpResponseMessage response;
        for (var hop = 0; ; hop++)
        {
            if (policy.Refusal(uri, accountKey) is { } refusal)
            {
                throw new OutputUrlRefusedException(refusal);
            }

            response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop == maxRedirects)
                {
                    throw new HttpRequestException($"more than {maxRedirects} redirects for a result file");
                }

                uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                continue;
            }

            break;
        }

        using var _ = response;
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"RunningHub answered {(int)response.StatusCode} for a result file");
        }

        var max = options.Value.MaxOutputBytes;
        if (response.Content.Headers.ContentLength > max)
        {
            throw new InvalidDataException($"the result file is larger than {max} bytes");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var head = new byte[MediaTypes.SniffLength];
        var headLength = await body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        // Only an image or a video is kept: an HTML or SVG file served from JobHub's address would run as JobHub's page.
        var type = MediaTypes.Sniff(head.AsSpan(0, headLength))
            ?? throw new OutputUrlRefusedException($"the result file is not an image or a video JobHub shows (declared {response.Content.Headers.ContentType?.MediaType ?? "no type"})");
        // Refuses to read past the limit, so a wrong or hostile URL cannot fill the disk.
        await using var limited = new ReadCountingStream(new PrefixedStream(head.AsMemory(0, headLength), body), read =>
        {
            if (read > max)
            {
                throw new InvalidDataException($"the result file is larger than {max} bytes");
            }
        });
        return await storage.SaveAsync("outputs", limited, type.Extension, cancellationToken);
    }

    private async Task DeleteAllAsync(IEnumerable<string> storedNames)
    {
        foreach (var name in storedNames)
        {
            await storage.DeleteAsync(name, CancellationToken.None);
        }
    }
}

public enum CopyOutcome
{
    Copied,
    NothingToCopy,
    RetryLater,
    GaveUp,
}

/// <summary>What one copy attempt did; after a failure, the error and (when it may pass) the wait before the next attempt.</summary>
public sealed record CopyAttempt(CopyOutcome Outcome, string? Error = null, TimeSpan RetryIn = default);
