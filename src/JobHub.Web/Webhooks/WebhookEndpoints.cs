using System.Text;
using JobHub.Core.Webhooks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace JobHub.Web.Webhooks;

public static class WebhookEndpoints
{
    private static readonly string[] HeadersOfInterest = ["Content-Type", "Content-Length", "User-Agent", "X-Forwarded-For", "X-Request-Id"];

    /// <summary>
    /// <c>POST /api/webhooks/runninghub/{jobId}?token=…</c>: RunningHub's TASK_END callback. The body is read up to
    /// a limit and handed to <see cref="ReceiveWebhook"/>; the answer is a small JSON object with the outcome.
    /// </summary>
    public static IEndpointRouteBuilder MapWebhookEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/webhooks").DisableAntiforgery();
        group.MapPost("/runninghub/{jobId}", ReceiveAsync).RequireRateLimiting(JobHub.Web.RateLimiting.RateLimitPolicies.Webhook);
        return endpoints;
    }

    private static async Task<JsonHttpResult<WebhookAnswer>> ReceiveAsync(string jobId, string? token, HttpContext context,
        ReceiveWebhook receiver)
    {
        var (body, tooLarge) = await ReadBodyAsync(context);
        var headers = HeadersOfInterest
            .Where(name => context.Request.Headers.ContainsKey(name))
            .ToDictionary(name => name, name => context.Request.Headers[name].ToString());
        headers["Remote-Address"] = context.Connection.RemoteIpAddress?.ToString() ?? "";

        // Not cancelled with the request: once read, a delivery is decided and recorded even if RunningHub hangs up.
        var response = await receiver.HandleAsync(new WebhookRequest(jobId, token, body, headers, tooLarge), CancellationToken.None);
        return TypedResults.Json(new WebhookAnswer(response.Outcome, response.Message), statusCode: response.StatusCode);
    }

    /// <summary>Reads at most <see cref="ReceiveWebhook.MaxBodyBytes"/>; a larger body is refused without reading it all.</summary>
    private static async Task<(string Body, bool TooLarge)> ReadBodyAsync(HttpContext context)
    {
        var limit = ReceiveWebhook.MaxBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            return ("", true);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit + 1;
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return ("", true);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ("", true);
        }

        return (Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), false);
    }

    public sealed record WebhookAnswer(string Outcome, string Message);
}
