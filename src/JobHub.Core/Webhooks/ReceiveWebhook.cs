using System.Text.Json;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Core.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Webhooks;

/// <summary>A webhook request as the endpoint received it.</summary>
public sealed record WebhookRequest(string JobId, string? Token, string Body, IReadOnlyDictionary<string, string> Headers, bool TooLarge = false);

/// <summary>What the endpoint answers, and the outcome recorded with the delivery.</summary>
public sealed record WebhookResponse(int StatusCode, string Outcome, string Message);

public static class WebhookOutcomes
{
    public const string Finished = "finished";
    public const string Duplicate = "duplicate";
    public const string BadToken = "bad_token";
    public const string UnknownJob = "unknown_job";
    public const string Malformed = "malformed";
    public const string TooLarge = "too_large";
    public const string UnknownStatus = "unknown_status";
    public const string TaskMismatch = "task_mismatch";
    public const string NotStarted = "not_started";
}

/// <summary>
/// RunningHub's TASK_END callback. The token is checked in constant time before the database is read; a delivery with a
/// matching token is recorded with its body, one anyone can send (bad token, unknown job) only counted (<see cref="WebhookNoise"/>).
/// A verdict ends the job through <see cref="FinishJob"/>, idempotent, so retries and duplicates change nothing after the first.
/// </summary>
public sealed class ReceiveWebhook(IDbContextFactory<JobHubDbContext> contexts, WebhookTokens tokens, FinishJob finish, WebhookNoise noise,
    EngineMetrics metrics, TimeProvider clock, ILogger<ReceiveWebhook> logger)
{
    public const int MaxBodyBytes = 256 * 1024;
    private const int StoredBodyChars = 64 * 1024;

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken = default)
    {
        var jobId = Guid.TryParse(request.JobId, out var id) ? id : (Guid?)null;
        using var activity = EngineTracing.Source.StartActivity("job.webhook");
        activity?.SetTag(EngineTracing.JobId, jobId?.ToString());
        // The token and the body are checked once; what the database must say comes after, in one of the two paths.
        var tokenMatches = jobId is { } candidate && await tokens.VerifyAsync(candidate, request.Token);
        var body = tokenMatches && !request.TooLarge ? Read(request.Body) : null;
        WebhookResponse response;
        if (body is { Problem: null, Verdict: var verdict } && Decides(verdict))
        {
            response = await FinishAsync(request, jobId!.Value, body.TaskId, verdict, cancellationToken);
        }
        else
        {
            response = await RefuseAsync(request, jobId, tokenMatches, body, cancellationToken);
            if (!IsNoise(response.Outcome))
            {
                await RecordAsync(request, jobId, body?.Problem is null ? body?.TaskId : null, response);
            }
        }

        metrics.WebhookDelivered(response.Outcome);
        activity.Outcome(response.Outcome);
        if (IsNoise(response.Outcome))
        {
            noise.Count(response.Outcome);
        }
        else if (response.StatusCode >= 400)
        {
            logger.LogWarning("Webhook for job {JobId} refused with {Status}: {Outcome}", jobId?.ToString() ?? "(invalid id)", response.StatusCode,
                response.Outcome);
        }

        return response;
    }

    /// <summary>A refusal anyone can cause without a valid token for an existing job: counted, never stored or logged one by one.</summary>
    private static bool IsNoise(string outcome) => outcome is WebhookOutcomes.BadToken or WebhookOutcomes.UnknownJob;

    private static bool Decides(TaskQueryResult verdict) =>
        verdict.Status is RemoteTaskStatus.Success or RemoteTaskStatus.Failed or RemoteTaskStatus.Cancelled;

    /// <summary>
    /// A TASK_END with a verdict, for a job whose token matched: the termination's one statement ends the job when the
    /// task is its own and it is running, and records the delivery with the outcome it decided (none for a job that does
    /// not exist), so that the verdict and its record are one commit.
    /// </summary>
    private async Task<WebhookResponse> FinishAsync(WebhookRequest request, Guid jobId, string taskId, TaskQueryResult verdict,
        CancellationToken cancellationToken)
    {
        var (headers, body) = Stored(request);
        var result = await finish.ApplyAsync(jobId, verdict, JobCause.Webhook, cancellationToken, new WebhookDelivery(taskId, headers, body))!;
        if (result.Note == WebhookOutcomes.Finished)
        {
            metrics.VerdictKnown(JobCause.Webhook, result.ToolKey!, result.StartedAt, verdict.Usage?.TaskCostTime, clock.GetUtcNow().UtcDateTime);
        }
        return Answer(result.Note!, result.Status);
    }

    /// <summary>What the endpoint answers for an outcome; the termination's statement records the same status with a verdict.</summary>
    private static WebhookResponse Answer(string outcome, string? status) => outcome switch
    {
        WebhookOutcomes.UnknownJob => new(404, outcome, "No such job."),
        // RunningHub's answer to the start may not be stored yet; a retried delivery or reconciliation will find it.
        WebhookOutcomes.NotStarted => new(409, outcome, "The job has no RunningHub task yet; deliver again later."),
        WebhookOutcomes.TaskMismatch => new(400, outcome, "The task id is not this job's task."),
        WebhookOutcomes.Finished => new(200, outcome, $"The job is {status}."),
        _ => new(200, WebhookOutcomes.Duplicate, $"The job was already {status}; nothing changed."),
    };

    /// <summary>
    /// Why a delivery without a usable verdict is refused, in the order the checks apply (<paramref name="body"/> is the
    /// body as read, null when it was too large or the token did not match).
    /// </summary>
    private async Task<WebhookResponse> RefuseAsync(WebhookRequest request, Guid? jobId, bool tokenMatches, ReadBody? body,
        CancellationToken cancellationToken)
    {
        if (jobId is not { } id)
        {
            return Answer(WebhookOutcomes.UnknownJob, null);
        }

        if (!tokenMatches)
        {
            return new(401, WebhookOutcomes.BadToken, "The token does not match this job.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Set<Job>().AsNoTracking().Where(j => j.Id == id).Select(j => new { j.TaskId }).FirstOrDefaultAsync(cancellationToken);
        if (job is null)
        {
            return Answer(WebhookOutcomes.UnknownJob, null);
        }

        if (request.TooLarge || body is null)
        {
            return new(413, WebhookOutcomes.TooLarge, $"The body is larger than {MaxBodyBytes} bytes.");
        }

        if (body.Problem is { } problem)
        {
            return new(400, WebhookOutcomes.Malformed, problem);
        }

        if (job.TaskId is null)
        {
            return Answer(WebhookOutcomes.NotStarted, null);
        }

        if (!string.Equals(body.TaskId, job.TaskId, StringComparison.Ordinal))
        {
            return Answer(WebhookOutcomes.TaskMismatch, null);
        }

        return new(400, WebhookOutcomes.UnknownStatus, $"TASK_END with status '{body.Verdict.RawStatus ?? "(none)"}' decides nothing.");
    }

    /// <summary>A body as read: its task and verdict, or why it is not a TASK_END (<see cref="Problem"/>).</summary>
    private sealed record ReadBody(string TaskId, TaskQueryResult Verdict, string? Problem);

    private static ReadBody Read(string body) =>
        TryRead(body, out var taskId, out var verdict, out var problem) ? new(taskId, verdict, null) : new(taskId, verdict, problem);

    /// <summary>Reads <c>{event:"TASK_END", taskId, eventData}</c>, with eventData as a JSON string (legacy) or an object (v2).</summary>
    private static bool TryRead(string body, out string taskId, out TaskQueryResult verdict, out string problem)
    {
        taskId = "";
        verdict = null!;
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            problem = "The body is not JSON.";
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            problem = "The body must be a JSON object.";
            return false;
        }

        if (RunningHubPayloads.Text(root, "event") is not "TASK_END")
        {
            problem = "The event must be TASK_END.";
            return false;
        }

        if (RunningHubPayloads.Text(root, "taskId") is not { Length: > 0 and <= 64 } id)
        {
            problem = "taskId is missing.";
            return false;
        }

        taskId = id;
        var eventData = RunningHubPayloads.Child(root, "eventData");
        if (eventData is { ValueKind: JsonValueKind.String } text)
        {
            try
            {
                using var inner = JsonDocument.Parse(text.GetString()!, new JsonDocumentOptions { MaxDepth = 32 });
                eventData = inner.RootElement.Clone();
            }
            catch (JsonException)
            {
                problem = "eventData is a string but not JSON.";
                return false;
            }
        }

        if (eventData is not { ValueKind: JsonValueKind.Object } data)
        {
            problem = "eventData is missing.";
            return false;
        }

        verdict = RunningHubPayloads.ParseLegacyOutputs(data);
        if (verdict.Outcome != CallOutcome.Success)
        {
            // A v2-shaped object with only errorCode (no status): the task failed with that error.
            verdict = verdict with { Outcome = CallOutcome.Success, Status = RemoteTaskStatus.Failed, RawStatus = "FAILED",
                ErrorCode = verdict.Code, ErrorMessage = verdict.Message };
        }

        problem = "";
        return true;
    }

    /// <summary>PostgreSQL text cannot hold NUL; a forged body may contain it.</summary>
    private static string Printable(string value) => value.Contains('\0') ? value.Replace("\0", "\\0") : value;

    /// <summary>The headers and the body as a delivery record keeps them.</summary>
    private static (string Headers, string Body) Stored(WebhookRequest request) => (
        JobJson.Serialize(request.Headers.ToDictionary(h => h.Key, h => Printable(h.Value))),
        Printable(request.Body.Length > StoredBodyChars ? request.Body[..StoredBodyChars] : request.Body));

    private async Task RecordAsync(WebhookRequest request, Guid? jobId, string? taskId, WebhookResponse response)
    {
        try
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var task = taskId is { Length: > 64 } ? taskId[..64] : taskId;
            var (headers, body) = Stored(request);
            await using var db = await contexts.CreateDbContextAsync();
            // Raw SQL: one row, written without change tracking (a fraction of SaveChanges' cost).
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO webhook_deliveries (job_id, received_at, http_status, outcome, task_id, headers, body)
                VALUES ({jobId}, {now}, {response.StatusCode}, {response.Outcome}, {task}, {headers}::jsonb, {body})
                """);
        }
        catch (Exception ex) when (ex.DatabaseError() is not null)
        {
            // Nothing else was changed; a lost record of a refusal must not turn the answer into a 500.
            logger.LogError(ex, "Could not record a webhook delivery for job {JobId}", jobId);
        }
    }
}
