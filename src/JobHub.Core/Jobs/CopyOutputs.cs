using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Dapper;
using JobHub.Core.Maintenance;
using JobHub.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Jobs;

/// <summary>
/// Copies a completed job's result files from RunningHub (whose URLs expire after 24 h) into JobHub's storage.
/// Until the copy is stored, the job shows RunningHub's URL; afterwards both. Delivery: at least once; the
/// copy is started right after the job completes and retried by the <c>copy-outputs</c> sweep until it
/// succeeds or the URLs have expired. Two copies of one job may race; the first stored wins and the other
/// deletes its files, so a job never points at a half-written or missing file.
/// </summary>
public sealed partial class CopyOutputs(
    NpgsqlDataSource dataSource,
    IFileStorage storage,
    IHttpClientFactory httpClients,
    IOptions<MaintenanceOptions> options,
    TimeProvider clock,
    ILogger<CopyOutputs> logger)
{
    public const string HttpClientName = "jobhub-outputs";

    private readonly ConcurrentDictionary<Guid, Task> inFlight = new();
    private readonly CancellationTokenSource stopping = new();

    /// <summary>Starts copying in the background (once per job at a time in this instance).</summary>
    public void Enqueue(Guid jobId)
    {
        if (inFlight.ContainsKey(jobId))
        {
            return;
        }

        var task = Task.Run(async () =>
        {
            try
            {
                await CopyAsync(jobId, stopping.Token);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Shutting down: the copy-outputs sweep of this or another instance takes the job up again.
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Copying the outputs of job {JobId} failed unexpectedly", jobId);
            }
        });
        if (inFlight.TryAdd(jobId, task))
        {
            task.ContinueWith(_ => inFlight.TryRemove(jobId, out Task? _), TaskScheduler.Default);
        }
    }

    /// <summary>Shutdown: abandons copies under way (the sweep retries them) and waits for them to unwind.</summary>
    public async Task StopAsync()
    {
        await stopping.CancelAsync();
        await WhenIdleAsync();
    }

    /// <summary>Completes when no copy of this instance is under way.</summary>
    public async Task WhenIdleAsync()
    {
        while (!inFlight.IsEmpty)
        {
            await Task.WhenAll(inFlight.Values.ToArray());
        }
    }

    /// <summary>Copies the outputs of one completed job; true when they are now all in storage.</summary>
    public async Task<bool> CopyAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        Job? job;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            job = await connection.QuerySingleOrDefaultAsync<Job>(
                "SELECT * FROM jobs WHERE id = @jobId AND status = 'completed' AND outputs_copied_at IS NULL", new { jobId });
        }

        if (job is null)
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

                var storedName = await DownloadAsync(output.Url, cancellationToken);
                saved.Add(storedName);
                copies.Add(output with { StoredName = storedName });
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or UriFormatException ||
            (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            DeleteAll(saved);
            await RecordFailureAsync(job, ex.Message, cancellationToken);
            logger.LogWarning("Could not copy the outputs of job {JobId} (attempt {Attempt}): {Error}", jobId, job.OutputCopyAttempts + 1, ex.Message);
            return false;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var stored = await connection.QuerySingleOrDefaultAsync<Job>("""
                UPDATE jobs SET outputs = @outputs::jsonb, outputs_copied_at = @now, output_copy_attempts = output_copy_attempts + 1,
                                output_copy_error = NULL, updated_at = @now
                WHERE id = @jobId AND status = 'completed' AND outputs_copied_at IS NULL
                RETURNING *
                """, new { jobId, outputs = JobJson.Serialize(copies), now }, transaction);
            if (stored is null)
            {
                DeleteAll(saved); // another instance stored its copy first
                return false;
            }

            await JobEvents.NoteAsync(connection, transaction, stored, "outputs_copied", now, JobCause.System,
                $"{copies.Count} result file(s) copied into JobHub's storage", notify: true);
            await transaction.CommitAsync(cancellationToken);
        }

        return true;
    }

    private async Task<string> DownloadAsync(string url, CancellationToken cancellationToken)
    {
        var uri = new Uri(url, UriKind.Absolute);
        if (uri.Scheme is not ("http" or "https"))
        {
            throw new InvalidDataException($"not an http(s) URL: {uri.Scheme}");
        }

        using var http = httpClients.CreateClient(HttpClientName);
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
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
        await using var limited = new LimitedStream(body, max);
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

    private async Task RecordFailureAsync(Job job, string error, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("""
            UPDATE jobs SET output_copy_attempts = output_copy_attempts + 1, output_copy_error = left(@error, 1000)
            WHERE id = @Id AND outputs_copied_at IS NULL
            """, new { job.Id, error });
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

    /// <summary>Refuses to read past a byte limit, so a wrong or hostile URL cannot fill the disk.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int n)
        {
            read += n;
            return read > limit ? throw new InvalidDataException($"the result file is larger than {limit} bytes") : n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
