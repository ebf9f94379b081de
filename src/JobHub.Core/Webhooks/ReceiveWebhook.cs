using System.Text.Json;
using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
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
/// RunningHub's TASK_END callback (SPEC.md "Webhook endpoint"). The token in the URL is checked in constant
/// time before anything is read from the database; every delivery, accepted or not, is recorded with its
/// raw body; a verdict ends the job through <see cref="FinishJob"/>, which is idempotent, so RunningHub's
/// retries and duplicates change nothing after the first. Output files are copied after the answer.
/// Bad token → 401, unknown job → 404, a body that is not a TASK_END for this job's task → 400; none of
/// them changes a job or a balance.
/// </summary>
public sealed class ReceiveWebhook(IDbContextFactory<JobHubDbContext> contexts, WebhookTokens tokens, FinishJob finish, TimeProvider clock,
    ILogger<ReceiveWebhook> logger)
{
    public const int MaxBodyBytes = 256 * 1024;
    private const int StoredBodyChars = 64 * 1024;

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken = default)
    {
        var jobId = Guid.TryParse(request.JobId, out var id) ? id : (Guid?)null;
        string? taskId = null;
        var response = await DecideAsync(request, jobId, value => taskId = value, cancellationToken);
        await RecordAsync(request, jobId, taskId, response);
        if (response.StatusCode >= 400)
        {
            logger.LogWarning("Webhook for job {JobId} refused with {Status}: {Outcome}", jobId?.ToString() ?? "(invalid id)", response.StatusCode,
                response.Outcome);
        }

        return response;
    }

    private async Task<WebhookResponse> DecideAsync(WebhookRequest request, Guid? jobId, Action<string?> seenTask, CancellationToken cancellationToken)
    {
        if (jobId is not { } id)
        {
            return new(404, WebhookOutcomes.UnknownJob, "No such job.");
        }

        if (!await tokens.VerifyAsync(id, request.Token))
        {
            return new(401, WebhookOutcomes.BadToken, "The token does not match this job.");
        }

        Job? job;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            job = await JobQueries.ById(db, id);
        }

        if (job is null)
        {
            return new(404, WebhookOutcomes.UnknownJob, "No such job.");
        }

        var jobTaskId = job.TaskId;

        if (request.TooLarge)
        {
            return new(413, WebhookOutcomes.TooLarge, $"The body is larger than {MaxBodyBytes} bytes.");
        }

        if (!TryRead(request.Body, out var taskId, out var verdict, out var problem))
        {
            return new(400, WebhookOutcomes.Malformed, problem);
        }

        seenTask(taskId);
        if (jobTaskId is null)
        {
            // RunningHub's answer to the start may not be stored yet; a retried delivery or reconciliation will find it.
            return new(409, WebhookOutcomes.NotStarted, "The job has no RunningHub task yet; deliver again later.");
        }

        if (!string.Equals(taskId, jobTaskId, StringComparison.Ordinal))
        {
            return new(400, WebhookOutcomes.TaskMismatch, "The task id is not this job's task.");
        }

        if (verdict.Status is not (RemoteTaskStatus.Success or RemoteTaskStatus.Failed or RemoteTaskStatus.Cancelled))
        {
            return new(400, WebhookOutcomes.UnknownStatus, $"TASK_END with status '{verdict.RawStatus ?? "(none)"}' decides nothing.");
        }

        var result = await finish.ApplyAsync(id, verdict, JobCause.Webhook, cancellationToken, known: job)!;
        return result.Outcome == TerminationOutcome.Changed
            ? new(200, WebhookOutcomes.Finished, $"The job is {result.Job!.Status}.")
            : new(200, WebhookOutcomes.Duplicate, $"The job was already {result.Job?.Status}; nothing changed.");
    }

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

    private async Task RecordAsync(WebhookRequest request, Guid? jobId, string? taskId, WebhookResponse response)
    {
        try
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var task = taskId is { Length: > 64 } ? taskId[..64] : taskId;
            var headers = JobJson.Serialize(request.Headers.ToDictionary(h => h.Key, h => Printable(h.Value)));
            var body = Printable(request.Body.Length > StoredBodyChars ? request.Body[..StoredBodyChars] : request.Body);
            await using var db = await contexts.CreateDbContextAsync();
            // Raw SQL: one row on the webhook's hot path, written without change tracking (a fraction of SaveChanges' cost).
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO webhook_deliveries (job_id, received_at, http_status, outcome, task_id, headers, body)
                VALUES ({jobId}, {now}, {response.StatusCode}, {response.Outcome}, {task}, {headers}::jsonb, {body})
                """);
        }
        catch (Exception ex) when (ex.DatabaseError() is not null)
        {
            // The verdict, if any, is already stored; a lost delivery record must not turn the answer into a 500.
            logger.LogError(ex, "Could not record a webhook delivery for job {JobId}", jobId);
        }
    }
}
