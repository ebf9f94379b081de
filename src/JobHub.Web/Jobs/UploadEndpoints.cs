using System.Security.Claims;
using JobHub.Core.Jobs;
using JobHub.Web.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace JobHub.Web.Jobs;

/// <summary>
/// What the upload endpoint answers (and what the tool page's script hands back to the circuit): the upload's id, or why
/// the file was refused, as a code with the values in it (the page words it in its language) and a message in English.
/// </summary>
public sealed record UploadAnswer(Guid? UploadId, string? Code = null, string? Message = null, IReadOnlyList<string>? Arguments = null)
{
    /// <summary>A refusal's wait in seconds (429: a rate limit or the person's upload bound); the script reads it from <c>Retry-After</c>.</summary>
    public int? RetryAfter { get; init; }

    public static UploadAnswer From(StoreInputResult result) => result.UploadId is { } id && result.Input is not null
        ? new UploadAnswer(id)
        : new UploadAnswer(null, result.ErrorCode, result.ErrorMessage, result.ErrorArguments)
        {
            RetryAfter = result.RetryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : null,
        };
}

/// <summary>
/// The tool page's uploads over plain HTTP, not the circuit: <c>POST /uploads/{tool}/{input}?name=…</c>, the file as the body,
/// the page's anti-forgery token in <see cref="TokenHeader"/>. Streamed to a file of its own (<see cref="Core.Storage.IFileStorage.ReceiveAsync"/>) and checked there by
/// <see cref="StoreInput"/>; the answer is the upload id a job is then submitted with (docs/uploads.md).
/// </summary>
public static class UploadEndpoints
{
    public const string Path = "/uploads";

    /// <summary>The anti-forgery request token's header (ASP.NET Core's default name).</summary>
    public const string TokenHeader = "RequestVerificationToken";

    public const string AntiforgeryInvalid = "ANTIFORGERY_INVALID";

    public static IEndpointRouteBuilder MapUploadEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path + "/{toolKey}/{inputKey}", UploadAsync).RequireAuthorization().RequireRateLimiting(RateLimitPolicies.Upload);
        return endpoints;
    }

    public static string For(string toolKey, string inputKey) => $"{Path}/{Uri.EscapeDataString(toolKey)}/{Uri.EscapeDataString(inputKey)}";

    private static async Task<JsonHttpResult<UploadAnswer>> UploadAsync(string toolKey, string inputKey, string? name, HttpContext context, IAntiforgery antiforgery,
        StoreInput storeInput, SubmitJob submitJob)
    {
        if (storeInput.Find(toolKey, inputKey) is not { } input)
        {
            return Answer(StatusCodes.Status404NotFound, new(null, SubmitErrors.InputInvalid, $"The tool '{toolKey}' has no input '{inputKey}'.", [inputKey]));
        }

        // A form body would be read whole by the anti-forgery check (its token may be a field): only the file itself is taken.
        if (context.Request.HasFormContentType)
        {
            return Answer(StatusCodes.Status415UnsupportedMediaType, new(null, SubmitErrors.InputInvalid, "Send the file itself as the request body, not a form.", [inputKey]));
        }

        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Answer(StatusCodes.Status400BadRequest, new(null, AntiforgeryInvalid, $"A valid anti-forgery token is required in the {TokenHeader} header."));
        }

        if (context.Request.ContentLength > input.MaxBytes)
        {
            return TooLarge(input, context.Request.ContentLength.Value);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = input.MaxBytes + 1; // the store reads one byte past the limit to tell it is over
        }

        var userId = Guid.Parse(context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("signed in without a user id"));
        if (await submitJob.PrecheckUploadAsync(userId, toolKey, context.RequestAborted) is { } refused)
        {
            return Answer(refused.ErrorCode == SubmitErrors.ActiveJobExists ? StatusCodes.Status409Conflict : StatusCodes.Status402PaymentRequired,
                new(null, refused.ErrorCode, refused.ErrorMessage, refused.ErrorArguments));
        }

        StoreInputResult result;
        try
        {
            result = await storeInput.HandleAsync(userId, toolKey, inputKey, context.Request.Body, name, input.MaxBytes, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(input, input.MaxBytes + 1);
        }
        catch (Core.Storage.StorageUnavailableException) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Nothing was stored nor counted (the store logged why); the person may send the file again.
            return Answer(StatusCodes.Status503ServiceUnavailable, new(null, Core.Storage.StorageUnavailableException.Code,
                Core.Storage.StorageUnavailableException.Advice, []));
        }
        catch (Exception ex) when (ex is BadHttpRequestException || ex is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // The body ended before its length, or the client went away: nothing was stored (the received file is gone).
            return Answer(StatusCodes.Status400BadRequest, new(null, "UPLOAD_FAILED", "The upload was cut short.", []));
        }

        var answer = UploadAnswer.From(result);
        if (answer.RetryAfter is { } seconds)
        {
            // The person's upload bound: as a rate limit, with when the window has room again.
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Answer(result switch
        {
            { Input: not null } => StatusCodes.Status201Created,
            { RetryAfter: not null } => StatusCodes.Status429TooManyRequests,
            { ErrorCode: "INPUT_TOO_LARGE" } => StatusCodes.Status413PayloadTooLarge,
            { ErrorCode: "INPUT_WRONG_TYPE" } => StatusCodes.Status415UnsupportedMediaType,
            { ErrorCode: SubmitErrors.UserUnknown } => StatusCodes.Status401Unauthorized,
            _ => StatusCodes.Status400BadRequest,
        }, answer);
    }

    /// <summary>The same refusal (and words) as the store's own size check, for a body refused before it is read.</summary>
    private static JsonHttpResult<UploadAnswer> TooLarge(Core.Tools.InputDefinition input, long length) =>
        Core.Storage.MediaInspector.CheckSize(input, length) is { } tooLarge
            ? Answer(StatusCodes.Status413PayloadTooLarge, new(null, tooLarge.Code, tooLarge.Message, tooLarge.Arguments))
            : throw new InvalidOperationException("a length over the limit was not refused");

    private static JsonHttpResult<UploadAnswer> Answer(int status, UploadAnswer answer) => TypedResults.Json(answer, statusCode: status);
}
