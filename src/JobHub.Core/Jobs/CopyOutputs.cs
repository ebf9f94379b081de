using System.Text.RegularExpressions;
using JobHub.Core.Maintenance;
using JobHub.Core.Persistence;
using JobHub.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs;

/// <summary>
/// Copies a completed job's result files from RunningHub (whose URLs expire after 24 h) into JobHub's storage.
/// Until the copy is stored, the job shows RunningHub's URL; afterwards both. Delivery: at least once; the
/// copy is started right after the job completes and retried by the <c>copy-outputs</c> sweep until it
/// succeeds or the URLs have expired. Two copies of one job may race; the first stored wins and the other
/// deletes its files, so a job never points at a half-written or missing file.
/// </summary>
public sealed partial class CopyOutputs(
    IDbContextFactory<JobHubDbContext> contexts,
    IFileStorage storage,
    IHttpClientFactory httpClients,
    IOptions<MaintenanceOptions> options,
    OutputUrlPolicy policy,
    TimeProvider clock,
    ILogger<CopyOutputs> logger)
{
    public const string HttpClientName = "jobhub-outputs";

    private readonly BackgroundWork background = new(logger, "output copy");

    /// <summary>Starts copying in the background (once per job at a time in this instance).</summary>
    public void Enqueue(Guid jobId) => background.Run(jobId, stopping => CopyAsync(jobId, stopping));

    /// <summary>Shutdown: abandons copies under way (the sweep retries them) and waits for them to unwind.</summary>
    public Task StopAsync() => background.StopAsync();

    /// <summary>Completes when no copy of this instance is under way.</summary>
    public Task WhenIdleAsync() => background.WhenIdleAsync();

    /// <summary>Copies the outputs of one completed job; true when they are now all in storage.</summary>
    public async Task<bool> CopyAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        Job? job;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            job = await JobQueries.ById(db, jobId);
        }

        if (job is not { Status: JobStatus.Completed, OutputsCopiedAt: null })
        {
            return false;
        }

        var saved = new List<string>();
        var copies = new List<JobOutput>();
        try
        {
            foreach (var output in job.OutputFiles)
            {
                if (output.StoredName is not null && storage.Exists(output.StoredName))
                {
                    copies.Add(output);
                    continue;
                }

                var storedName = await DownloadAsync(output.Url, job.AccountKey, cancellationToken);
                saved.Add(storedName);
                copies.Add(output with { StoredName = storedName });
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or UriFormatException ||
            (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            DeleteAll(saved);
            // A refused URL stays refused: no retries; the job keeps RunningHub's link and the reason is recorded.
            var refusal = ex as OutputUrlRefusedException ?? ex.InnerException as OutputUrlRefusedException;
            await RecordFailureAsync(job, refusal is null ? ex.Message : "refused: " + refusal.Message, final: refusal is not null, cancellationToken);
            logger.LogWarning("Could not copy the outputs of job {JobId} (attempt {Attempt}): {Error}", jobId, job.OutputCopyAttempts + 1, ex.Message);
            return false;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            // Raw SQL: the first copy stored wins, decided by this one conditional statement (with its event and NOTIFY).
            var stored = await db.Database.ExecuteSqlAsync(JobEvents.WithNote($"""
                UPDATE jobs SET outputs = {JobJson.Serialize(copies)}::jsonb, outputs_copied_at = {now},
                                output_copy_attempts = output_copy_attempts + 1, output_copy_error = NULL, updated_at = {now}
                WHERE id = {jobId} AND status = 'completed' AND outputs_copied_at IS NULL
                """, job, "outputs_copied", now, JobCause.System, $"{copies.Count} result file(s) copied into JobHub's storage"), cancellationToken);
            if (stored == 0)
            {
                DeleteAll(saved); // another instance stored its copy first
                return false;
            }
        }

        return true;
    }

    private async Task<string> DownloadAsync(string url, string? accountKey, CancellationToken cancellationToken)
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
        // Refuses to read past the limit, so a wrong or hostile URL cannot fill the disk.
        await using var limited = new ReadCountingStream(body, read =>
        {
            if (read > max)
            {
                throw new InvalidDataException($"the result file is larger than {max} bytes");
            }
        });
        return await storage.SaveAsync("outputs", limited, ExtensionFor(uri, response.Content.Headers.ContentType?.MediaType), cancellationToken);
    }

    private static string ExtensionFor(Uri uri, string? mediaType)
    {
        var extension = Path.GetExtension(uri.AbsolutePath).TrimStart('.').ToLowerInvariant();
        if (SafeExtension().IsMatch(extension))
        {
            return extension;
        }

        return mediaType switch
        {
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "image/webp" => "webp",
            "video/mp4" => "mp4",
            "video/quicktime" => "mov",
            "video/webm" => "webm",
            _ => "bin",
        };
    }

    private async Task RecordFailureAsync(Job job, string error, bool final, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var maxAttempts = options.Value.OutputCopyMaxAttempts;
        error = error.Length > 1000 ? error[..1000] : error;
        await db.Set<Job>().Where(j => j.Id == job.Id && j.OutputsCopiedAt == null).ExecuteUpdateAsync(set => set
            .SetProperty(j => j.OutputCopyAttempts, j => final ? Math.Max(j.OutputCopyAttempts + 1, maxAttempts) : j.OutputCopyAttempts + 1)
            .SetProperty(j => j.OutputCopyError, error), cancellationToken);
    }

    private void DeleteAll(IEnumerable<string> storedNames)
    {
        foreach (var name in storedNames)
        {
            storage.Delete(name);
        }
    }

    [GeneratedRegex("^[a-z0-9]{1,5}$")]
    private static partial Regex SafeExtension();
}
