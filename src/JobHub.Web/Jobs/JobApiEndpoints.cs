using System.Security.Claims;
using JobHub.Core.Jobs;
using JobHub.Core.Tools;
using JobHub.Web.RateLimiting;
using Microsoft.AspNetCore.Http.Features;

namespace JobHub.Web.Jobs;

/// <summary>
/// The tools for scripts (and JobHub's load driver), with the same sign-in cookie as the pages and the same
/// engine calls as <see cref="JobRunnerModel"/>: submit, follow, keep a queued job's place, check, cancel.
/// A job that is not the caller's is 404, as one that does not exist. Every POST must carry
/// <see cref="ClientHeader"/>: a browser form cannot set it, so another site cannot post here in the user's name.
/// </summary>
public static class JobApiEndpoints
{
    public const string ClientHeader = "X-JobHub-Client";

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
        return endpoints;
    }

    /// <summary>A job as the API shows it; <c>outputs</c> are JobHub's own copies (RunningHub's links expire).</summary>
    public sealed record JobView(
        Guid Id, string Tool, string Status, int? QueuePosition, int CreditCost, DateTime CreatedAt, DateTime? StartedAt,
        DateTime? CompletedAt, string? ErrorCode, string? ErrorMessage, string? ProviderCode, string? ProviderMessage, IReadOnlyList<string> Outputs);

    public sealed record ApiProblem(string Code, string Message);

    private static async Task<IResult> SubmitAsync(string toolKey, HttpContext context, ToolCatalog catalog, StoreInput storeInput,
        SubmitJob submitJob)
    {
        if (catalog.Find(toolKey) is not { } tool)
        {
            return Problem(StatusCodes.Status404NotFound, SubmitErrors.ToolUnknown, $"There is no tool '{toolKey}'.");
        }

        if (!context.Request.HasFormContentType || !context.Request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, SubmitErrors.InputInvalid, "Send the inputs as multipart/form-data, one file per input key.");
        }

        // The tool's inputs at their largest, plus room for the parameters: anything longer is refused unread.
        var limit = tool.Inputs.Sum(i => i.MaxBytes) + 256 * 1024;
        if (context.Request.ContentLength > limit)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "INPUT_TOO_LARGE", $"The request is larger than this tool accepts ({limit / (1024 * 1024)} MB).");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "INPUT_TOO_LARGE", $"The request is larger than this tool accepts ({limit / (1024 * 1024)} MB).");
        }
        catch (InvalidDataException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, SubmitErrors.InputInvalid, $"The form could not be read: {ex.Message}");
        }

        if (form.Files.FirstOrDefault(f => tool.Inputs.All(i => i.Key != f.Name)) is { } extra)
        {
            return Problem(StatusCodes.Status400BadRequest, SubmitErrors.InputInvalid, $"The tool '{tool.Key}' has no input '{extra.Name}'.");
        }

        if (form.Files.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return Problem(StatusCodes.Status400BadRequest, SubmitErrors.InputInvalid, $"The input '{twice.Key}' was sent more than once.");
        }

        // Everything that can be checked without the files first, so that a refused request stores nothing.
        if (tool.Inputs.FirstOrDefault(i => form.Files.GetFile(i.Key) is null) is { } missing)
        {
            return Problem(StatusCodes.Status400BadRequest, "INPUT_MISSING", $"The input '{missing.Key}' is missing.");
        }

        if (tool.Inputs.FirstOrDefault(i => form.Files.GetFile(i.Key) is { Length: 0 }) is { } empty)
        {
            return Problem(StatusCodes.Status400BadRequest, "INPUT_EMPTY", $"The file for '{empty.Key}' is empty (0 bytes).");
        }

        var parameters = form.Where(field => field.Key != "__RequestVerificationToken")
            .ToDictionary(field => field.Key, field => (string?)field.Value.ToString(), StringComparer.Ordinal);

        // The parameters, an active job and the balance are known before the upload: a refused job stores nothing.
        var userId = UserId(context.User);
        if (await submitJob.PrecheckAsync(userId, tool.Key, parameters, context.RequestAborted) is { } refused)
        {
            return Refusal(refused);
        }

        var stored = new List<StoredInput>();
        foreach (var input in tool.Inputs)
        {
            var file = form.Files.GetFile(input.Key)!;
            await using var content = file.OpenReadStream();
            var result = await storeInput.HandleAsync(userId, tool.Key, input.Key, content, file.FileName, input.MaxBytes, context.RequestAborted);
            if (result.RetryAfter is { } retryAfter)
            {
                // The person's upload bound: as a rate limit, with when the window has room again.
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Problem(StatusCodes.Status429TooManyRequests, result.ErrorCode!, result.ErrorMessage!);
            }

            if (result.Input is null)
            {
                return Problem(StatusCodes.Status400BadRequest, result.ErrorCode!, $"{input.Key}: {result.ErrorMessage}");
            }

            stored.Add(result.Input);
        }

        var submitted = await submitJob.HandleAsync(new SubmitJobRequest(userId, tool.Key, stored, parameters), CancellationToken.None);
        return submitted.Job is { } job
            ? Results.Json(View(job, submitted.QueuePosition), statusCode: StatusCodes.Status201Created)
            : Refusal(submitted);
    }

    private static IResult Refusal(SubmitJobResult refused) => Problem(refused.ErrorCode switch
    {
        SubmitErrors.ActiveJobExists => StatusCodes.Status409Conflict,
        SubmitErrors.InsufficientCredits => StatusCodes.Status402PaymentRequired,
        SubmitErrors.ToolUnknown => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status400BadRequest,
    }, refused.ErrorCode!, refused.ErrorMessage!);

    private static async Task<IResult> ActiveAsync(ClaimsPrincipal principal, JobQueries queries, QueueView queueView)
    {
        var job = await queries.ActiveAsync(UserId(principal));
        return job is null ? Results.NoContent() : Results.Json(await ViewAsync(job, queueView));
    }

    private static async Task<IResult> GetAsync(Guid jobId, ClaimsPrincipal principal, JobQueries queries, QueueView queueView)
    {
        var job = await queries.GetAsync(jobId, UserId(principal));
        return job is null ? NotFound() : Results.Json(await ViewAsync(job, queueView));
    }

    /// <summary>What an open tool page does while its job waits: keeps the job's place (R8 abandons queued jobs without one).</summary>
    private static async Task<IResult> HeartbeatAsync(Guid jobId, ClaimsPrincipal principal, QueueHeartbeat heartbeat, JobQueries queries)
    {
        if (await heartbeat.BeatAsync(jobId, UserId(principal)))
        {
            return Results.NoContent();
        }

        return await queries.GetAsync(jobId, UserId(principal)) is null
            ? NotFound()
            : Problem(StatusCodes.Status409Conflict, "NOT_QUEUED", "The job is no longer waiting in the queue.");
    }

    /// <summary>"Check status now": asks RunningHub about a running job (R7), then answers the job as it is.</summary>
    private static async Task<IResult> CheckAsync(Guid jobId, ClaimsPrincipal principal, ReconcileJob reconcileJob, JobQueries queries, QueueView queueView)
    {
        var result = await reconcileJob.HandleAsync(jobId, JobCause.User, UserId(principal), cancellationToken: CancellationToken.None);
        if (result.Outcome == ReconcileOutcome.NotFound)
        {
            return NotFound();
        }

        var job = await queries.GetAsync(jobId, UserId(principal));
        return job is null ? NotFound() : Results.Json(await ViewAsync(job, queueView));
    }

    private static async Task<IResult> CancelAsync(Guid jobId, ClaimsPrincipal principal, CancelJob cancelJob, JobQueries queries)
    {
        var result = await cancelJob.HandleAsync(new CancelJobRequest(jobId, UserId(principal), JobCause.User, JobErrorCodes.CancelledByUser,
            "Cancelled by you. Your credits were returned."), CancellationToken.None);
        return result.Outcome switch
        {
            TerminationOutcome.NotFound => NotFound(),
            // The job as this cancellation left it (a cancelled job changes no more).
            TerminationOutcome.Changed when await queries.GetAsync(jobId, UserId(principal)) is { } job => Results.Json(View(job, null)),
            TerminationOutcome.Changed => NotFound(), // deleted in between
            _ => Problem(StatusCodes.Status409Conflict, "NOT_ACTIVE", $"The job has already ended ({result.Status})."),
        };
    }

    private static async Task<JobView> ViewAsync(Job job, QueueView queueView) =>
        View(job, job.Status == JobStatus.Queued ? await queueView.PositionAsync(job.Id) : null);

    private static JobView View(Job job, int? queuePosition) => new(
        job.Id, job.ToolKey, job.Status, queuePosition, job.CreditCost, job.CreatedAt, job.StartedAt, job.CompletedAt, job.ErrorCode,
        job.ErrorMessage, job.ProviderCode, job.ProviderMessage,
        job.OutputsCopiedAt is null ? [] : job.OutputFiles.Select((_, index) => $"/files/jobs/{job.Id}/outputs/{index}").ToList());

    private static Guid UserId(ClaimsPrincipal principal) =>
        Guid.Parse(principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("signed in without a user id"));

    private static IResult NotFound() => Problem(StatusCodes.Status404NotFound, "JOB_NOT_FOUND", "There is no such job.");

    private static IResult Problem(int status, string code, string message) => Results.Json(new ApiProblem(code, message), statusCode: status);
}
