using System.Security.Claims;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Tools;
using JobHub.Web.RateLimiting;
using JobHub.Core.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace JobHub.Web.Jobs;

/// <summary>
/// The tools for scripts, with the pages' sign-in cookie and <see cref="JobRunnerModel"/>'s engine calls. Another's job is
/// 404, as one that does not exist. Every POST carries <see cref="ClientHeader"/>: a browser form cannot set it, so
/// another site cannot post here in the user's name. Errors are problem details (<see cref="ApiProblems"/>).
/// </summary>
public static class JobApiEndpoints
{
    public const string ClientHeader = "X-JobHub-Client";

    /// <summary>The largest submit JobHub reads for <paramref name="tool"/>: its inputs at their largest, plus room for the parameters.</summary>
    public static long RequestLimit(ToolDefinition tool) => tool.Inputs.Sum(i => i.MaxBytes) + 256 * 1024;

    public static IEndpointRouteBuilder MapJobApiEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api").RequireAuthorization().DisableAntiforgery().RequireRateLimiting(RateLimitPolicies.Api);
        group.AddEndpointFilter(async (context, next) =>
            HttpMethods.IsPost(context.HttpContext.Request.Method) && !context.HttpContext.Request.Headers.ContainsKey(ClientHeader)
                ? Problem(StatusCodes.Status400BadRequest, "CLIENT_HEADER_MISSING", $"POST requests to the API need the {ClientHeader} header.")
                : await next(context));
        group.MapPost("/tools/{toolKey}/jobs", SubmitAsync).RequireRateLimiting(RateLimitPolicies.Submit);
        group.MapGet("/jobs/active", ActiveAsync);
        group.MapGet("/jobs/{jobId:guid}", GetAsync);
        group.MapPost("/jobs/{jobId:guid}/heartbeat", HeartbeatAsync).RequireRateLimiting(RateLimitPolicies.Heartbeat);
        group.MapPost("/jobs/{jobId:guid}/check", CheckAsync).RequireRateLimiting(RateLimitPolicies.Check);
        group.MapPost("/jobs/{jobId:guid}/cancel", CancelAsync);
        group.MapPost("/jobs/{jobId:guid}/run-again", RunAgainAsync).RequireRateLimiting(RateLimitPolicies.Submit);
        return endpoints;
    }

    /// <summary>A job as the API shows it; <c>outputs</c> are JobHub's own copies (RunningHub's links expire).</summary>
    public sealed record JobView(
        Guid Id, string Tool, string Status, int? QueuePosition, int CreditCost, DateTime CreatedAt, DateTime? StartedAt,
        DateTime? CompletedAt, string? ErrorCode, string? ErrorMessage, string? ProviderCode, string? ProviderMessage, IReadOnlyList<string> Outputs);

    private static async Task<Results<Created<JobView>, ProblemHttpResult>> SubmitAsync(string toolKey, HttpContext context, ToolCatalog catalog, StoreInput storeInput,
        SubmitJob submitJob)
    {
        if (catalog.Find(toolKey) is not { } tool)
        {
            return Problem(StatusCodes.Status404NotFound, SubmitErrors.ToolUnknown, $"There is no tool '{toolKey}'.");
        }

        if (!context.Request.HasFormContentType || !context.Request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(context.Request.ContentType).Boundary) is not { Length: > 0 } boundary)
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, SubmitErrors.InputInvalid, "Send the inputs as multipart/form-data, one file per input key.");
        }

        // The tool's inputs at their largest, plus room for the parameters: anything longer is refused unread.
        var limit = RequestLimit(tool);
        if (context.Request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        // The parameters, an active job and the balance are known only once the form is read: each file is received into a
        // file of its own meanwhile (never whole in memory), and stored only once they allow it.
        var userId = UserId(context.User);
        var form = new ReceivedForm();
        await using (form)
        {
            if (await ReadFormAsync(context, tool, boundary.ToString(), storeInput, form) is { } unreadable)
            {
                return unreadable;
            }

            if (tool.Inputs.FirstOrDefault(i => !form.Files.ContainsKey(i.Key) && !form.Uploads.ContainsKey(i.Key)) is { } missing)
            {
                return Problem(StatusCodes.Status400BadRequest, "INPUT_MISSING", $"The input '{missing.Key}' is missing.");
            }

            if (await submitJob.PrecheckAsync(userId, tool.Key, form.Parameters, context.RequestAborted) is { } refused)
            {
                return Refusal(refused);
            }

            var stored = new List<StoreInputResult>();
            (Results<Created<JobView>, ProblemHttpResult> Result, bool Refused) answer;
            try
            {
                answer = await StoreAndSubmitAsync(context, tool, userId, form, storeInput, submitJob, stored);
            }
            catch (StorageUnavailableException) when (!context.RequestAborted.IsCancellationRequested)
            {
                answer = (ApiProblems.StorageUnavailable(), true);
            }

            if (answer.Refused)
            {
                // A refused request keeps none of the files it stored: a later one refused, or the job itself.
                foreach (var result in stored)
                {
                    await storeInput.DiscardAsync(result);
                }
            }

            return answer.Result;
        }
    }

    private static async Task<(Results<Created<JobView>, ProblemHttpResult> Result, bool Refused)> StoreAndSubmitAsync(HttpContext context, ToolDefinition tool, Guid userId,
        ReceivedForm form, StoreInput storeInput, SubmitJob submitJob, List<StoreInputResult> stored)
    {
        foreach (var (key, (file, name)) in form.Files)
        {
            var result = await storeInput.HandleAsync(userId, tool.Key, key, file, name, context.RequestAborted);
            if (result.RetryAfter is { } retryAfter)
            {
                // The person's upload bound: as a rate limit, with when the window has room again.
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return (Problem(StatusCodes.Status429TooManyRequests, result.ErrorCode!, result.ErrorMessage!), true);
            }

            if (result.Input is null)
            {
                return (Problem(result.ErrorCode == "INPUT_TOO_LARGE" ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
                    result.ErrorCode!, $"{key}: {result.ErrorMessage}"), true);
            }

            stored.Add(result);
        }

        var uploads = form.Uploads.Concat(stored.Select(r => KeyValuePair.Create(r.Input!.Key, r.UploadId!.Value))).ToDictionary();
        var submitted = await submitJob.HandleAsync(new SubmitJobRequest(userId, tool.Key, [], form.Parameters) { Uploads = uploads }, CancellationToken.None);
        if (submitted.Job is not { } job)
        {
            return (Refusal(submitted), true);
        }

        return (Made(job, submitted.QueuePosition), false);
    }

    /// <summary>A submission's form as it was read: each file received (on this host's disk), the upload ids, the parameters.</summary>
    private sealed class ReceivedForm : IAsyncDisposable
    {
        public Dictionary<string, (ReceivedFile File, string? Name)> Files { get; } = [];
        public Dictionary<string, Guid> Uploads { get; } = [];
        public Dictionary<string, string?> Parameters { get; } = new(StringComparer.Ordinal);

        /// <summary>Received files not stored (the request was refused, or they were stored and moved): nothing stays behind.</summary>
        public async ValueTask DisposeAsync()
        {
            foreach (var (file, _) in Files.Values)
            {
                await file.DisposeAsync();
            }
        }
    }

    private const int MaxFieldLength = 64 * 1024;

    /// <summary>
    /// Reads the multipart body section by section: a file goes straight into a received file (at most one byte past its
    /// input's limit); a text field named after an input is an upload id the person stored before; any other is a parameter.
    /// </summary>
    private static async Task<ProblemHttpResult?> ReadFormAsync(HttpContext context, ToolDefinition tool, string boundary, StoreInput storeInput, ReceivedForm form)
    {
        var reader = new MultipartReader(boundary, context.Request.Body);
        try
        {
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                    || HeaderUtilities.RemoveQuotes(disposition.Name).ToString() is not { Length: > 0 } name)
                {
                    return Problem(StatusCodes.Status400BadRequest, SubmitErrors.InputInvalid, "The form could not be read: a part has no field name.");
                }

                var input = tool.Inputs.FirstOrDefault(i => i.Key == name);
                if (disposition.IsFileDisposition())
                {
                    if (input is null)
                    {
                        return Problem(StatusCodes.Status400BadRequest, SubmitErrors.InputInvalid, $"The tool '{tool.Key}' has no input '{name}'.");
                    }

                    if (form.Files.ContainsKey(name) || form.Uploads.ContainsKey(name))
                    {
                        return Problem(StatusCodes.Status400BadRequest, SubmitErrors.InputInvalid, $"The input '{name}' was sent more than once.");
                    }

                    var received = await storeInput.ReceiveAsync(input, section.Body, input.MaxBytes, context.RequestAborted);
                    form.Files[name] = (received, HeaderUtilities.RemoveQuotes(disposition.FileName.HasValue ? disposition.FileName : disposition.FileNameStar).ToString());
                    if (Core.Storage.MediaInspector.CheckSize(input, received.Length) is { } wrongSize)
                    {
                        return Problem(wrongSize.Code == "INPUT_TOO_LARGE" ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest,
                            wrongSize.Code, $"{name}: {wrongSize.Message}");
                    }

                    continue;
                }

                var value = await ReadFieldAsync(section.Body, context.RequestAborted);
                if (value is null)
                {
                    return Problem(StatusCodes.Status400BadRequest, SubmitErrors.InputInvalid, $"The field '{name}' is longer than {MaxFieldLength / 1024} KB.");
                }

                if (input is not null)
                {
                    if (!Guid.TryParse(value, out var uploadId) || !form.Uploads.TryAdd(name, uploadId) || form.Files.ContainsKey(name))
                    {
                        return Problem(StatusCodes.Status400BadRequest, SubmitErrors.InputInvalid, $"The input '{name}' must be one file or one upload id.");
                    }
                }
                else if (name != "__RequestVerificationToken" && !form.Parameters.TryAdd(name, value))
                {
                    return Problem(StatusCodes.Status400BadRequest, SubmitErrors.ParameterInvalid, $"The parameter '{name}' was sent more than once.");
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(RequestLimit(tool));
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return Problem(StatusCodes.Status400BadRequest, SubmitErrors.InputInvalid, $"The form could not be read: {ex.Message}");
        }

        return null;
    }

    /// <summary>A text field, UTF-8, or null when it is longer than <see cref="MaxFieldLength"/>.</summary>
    private static async Task<string?> ReadFieldAsync(Stream body, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, System.Text.Encoding.UTF8);
        var buffer = new char[MaxFieldLength + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await reader.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        return length > MaxFieldLength ? null : new string(buffer, 0, length);
    }

    private static ProblemHttpResult TooLarge(long limit) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "INPUT_TOO_LARGE", $"The request is larger than this tool accepts ({limit / (1024 * 1024)} MB).");

    private static ProblemHttpResult Refusal(SubmitJobResult refused) => Problem(refused.ErrorCode switch
    {
        SubmitErrors.ActiveJobExists => StatusCodes.Status409Conflict,
        SubmitErrors.InsufficientCredits => StatusCodes.Status402PaymentRequired,
        SubmitErrors.ToolUnknown or RunAgainErrors.JobNotFound => StatusCodes.Status404NotFound,
        RunAgainErrors.InputsGone => StatusCodes.Status410Gone,
        _ => StatusCodes.Status400BadRequest,
    }, refused.ErrorCode!, refused.ErrorMessage!);

    private static async Task<Results<Ok<JobView>, NoContent>> ActiveAsync(ClaimsPrincipal principal, JobQueries queries, QueueView queueView)
    {
        var job = await queries.ActiveAsync(UserId(principal));
        return job is null ? TypedResults.NoContent() : TypedResults.Ok(await ViewAsync(job, queueView));
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetAsync(Guid jobId, ClaimsPrincipal principal, JobQueries queries, QueueView queueView)
    {
        var job = await queries.GetAsync(jobId, UserId(principal));
        return job is null ? NotFound() : TypedResults.Ok(await ViewAsync(job, queueView));
    }

    /// <summary>What an open tool page does while its job waits: keeps the job's place (R8 abandons queued jobs without one).</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> HeartbeatAsync(Guid jobId, ClaimsPrincipal principal, QueueHeartbeat heartbeat,
        JobQueries queries)
    {
        if (await heartbeat.BeatAsync(jobId, UserId(principal)))
        {
            return TypedResults.NoContent();
        }

        return await queries.GetAsync(jobId, UserId(principal)) is null
            ? NotFound()
            : Problem(StatusCodes.Status409Conflict, "NOT_QUEUED", "The job is no longer waiting in the queue.");
    }

    /// <summary>"Check status now": asks RunningHub about a running job (R7), then answers the job as it is.</summary>
    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> CheckAsync(Guid jobId, ClaimsPrincipal principal, ReconcileJob reconcileJob,
        JobQueries queries, QueueView queueView)
    {
        var result = await reconcileJob.HandleAsync(jobId, JobCause.User, UserId(principal), cancellationToken: CancellationToken.None);
        if (result.Outcome == ReconcileOutcome.NotFound)
        {
            return NotFound();
        }

        var job = await queries.GetAsync(jobId, UserId(principal));
        return job is null ? NotFound() : TypedResults.Ok(await ViewAsync(job, queueView));
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelAsync(Guid jobId, ClaimsPrincipal principal, CancelJob cancelJob, JobQueries queries)
    {
        var result = await cancelJob.HandleAsync(new CancelJobRequest(jobId, UserId(principal), JobCause.User, JobErrorCodes.CancelledByUser,
            "Cancelled by you. Your credits were returned."), CancellationToken.None);
        return result.Outcome switch
        {
            TerminationOutcome.NotFound => NotFound(),
            // The job as this cancellation left it (a cancelled job changes no more).
            TerminationOutcome.Changed when await queries.GetAsync(jobId, UserId(principal)) is { } job => TypedResults.Ok(View(job, null)),
            TerminationOutcome.Changed => NotFound(), // deleted in between
            _ => Problem(StatusCodes.Status409Conflict, "NOT_ACTIVE", $"The job has already ended ({result.Status})."),
        };
    }

    /// <summary>An ended job again: its settings and copies of its stored inputs, charged as a new job.</summary>
    private static async Task<Results<Created<JobView>, ProblemHttpResult>> RunAgainAsync(Guid jobId, ClaimsPrincipal principal, RunAgain runAgain)
    {
        SubmitJobResult submitted;
        try
        {
            submitted = await runAgain.HandleAsync(UserId(principal), jobId, CancellationToken.None);
        }
        catch (StorageUnavailableException)
        {
            return ApiProblems.StorageUnavailable();
        }

        return submitted.Job is { } job ? Made(job, submitted.QueuePosition) : Refusal(submitted);
    }

    /// <summary>A job just made (submitted or run again), with where to follow it.</summary>
    private static Created<JobView> Made(Job job, int? queuePosition) => TypedResults.Created($"/api/jobs/{job.Id}", View(job, queuePosition));

    private static async Task<JobView> ViewAsync(Job job, QueueView queueView) =>
        View(job, job.Status == JobStatus.Queued ? await queueView.PositionAsync(job.Id) : null);

    private static JobView View(Job job, int? queuePosition) => new(
        job.Id, job.ToolKey, job.Status, queuePosition, job.CreditCost, job.CreatedAt, job.StartedAt, job.CompletedAt, job.ErrorCode,
        job.ErrorMessage, job.ProviderCode, job.ProviderMessage,
        job.OutputsCopiedAt is null ? [] : job.OutputFiles.Select((_, index) => $"/files/jobs/{job.Id}/outputs/{index}").ToList());

    private static Guid UserId(ClaimsPrincipal principal) =>
        Guid.Parse(principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("signed in without a user id"));

    private static ProblemHttpResult NotFound() => Problem(StatusCodes.Status404NotFound, "JOB_NOT_FOUND", "There is no such job.");

    private static ProblemHttpResult Problem(int status, string code, string message) => ApiProblems.Problem(status, code, message);
}
