using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace JobHub.Simulator;

/// <summary>The simulated RunningHub's HTTP API (its own process in a run, <see cref="SimulatorProgram"/>; hosted in-process by tests).</summary>
public static class SimulatorEndpoints
{
    public const long MaxUploadBytes = 30L * 1024 * 1024;

    /// <summary>The simulator with these options (tests and benchmarks host it in their own process).</summary>
    public static IServiceCollection AddRunningHubSimulator(this IServiceCollection services, SimulatorOptions options)
    {
        services.AddSingleton(Options.Create(options));
        return services.AddRunningHubSimulator();
    }

    /// <summary>The simulator with the <see cref="SimulatorOptions"/> registered in <paramref name="services"/>.</summary>
    public static IServiceCollection AddRunningHubSimulator(this IServiceCollection services)
    {
        services.AddHttpClient("simulator-webhooks", http => http.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton(provider => new SimulatorState(
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            provider.GetRequiredService<IHttpClientFactory>(),
            provider.GetRequiredService<IOptions<SimulatorOptions>>().Value));
        services.AddHostedService<SimulatorClock>();
        return services;
    }

    /// <summary>Maps the API under <paramref name="prefix"/>, which must be the path of <see cref="SimulatorOptions.BaseUrl"/>.</summary>
    public static RouteGroupBuilder MapRunningHubSimulator(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        var group = endpoints.MapGroup(prefix).DisableAntiforgery();
        group.AddEndpointFilter(async (context, next) =>
        {
            var latency = context.HttpContext.RequestServices.GetRequiredService<SimulatorState>().Settings.ResponseLatency;
            if (latency > TimeSpan.Zero)
            {
                await Task.Delay(latency, context.HttpContext.RequestAborted);
            }

            return await next(context);
        });

        group.MapPost("/openapi/v2/media/upload/binary", async (HttpRequest request, SimulatorState state) =>
        {
            if (!state.IsValidKey(BearerKey(request)))
            {
                return Results.Json(new { code = 1601, message = "API key verification failed", data = (object?)null });
            }

            if (!request.HasFormContentType || (await request.ReadFormAsync()).Files.GetFile("file") is not { } file)
            {
                return Results.Json(new { code = 301, message = "PARAMS_INVALID: file is required", data = (object?)null });
            }

            if (file.Length > MaxUploadBytes)
            {
                return Results.Json(new { code = 809, message = "file too large", data = (object?)null });
            }

            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer);
            var name = state.StoreFile(buffer.ToArray(), Path.GetExtension(file.FileName));
            return Results.Json(new
            {
                code = 0,
                message = "success",
                data = new { type = file.ContentType, download_url = $"{state.FilesBaseUrl}/{name}", fileName = name, size = file.Length.ToString(CultureInfo.InvariantCulture) },
            });
        });

        group.MapPost("/openapi/v2/run/ai-app/{webappId}", async (string webappId, HttpRequest request, SimulatorState state, IHostApplicationLifetime lifetime,
            CancellationToken aborted) =>
        {
            var key = BearerKey(request);
            if (!state.IsValidKey(key))
            {
                return Results.Json(SimulatorPayloads.V2Error("1601", "API key verification failed"));
            }

            JsonElement body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body, cancellationToken: aborted);
            }
            catch (JsonException)
            {
                return Results.Json(SimulatorPayloads.V2Error("301", "PARAMS_INVALID"));
            }

            if (!body.TryGetProperty("nodeInfoList", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                return Results.Json(SimulatorPayloads.V2Error("803", "APIKEY_INVALID_NODE_INFO"));
            }

            var nodes = new List<SimNode>();
            foreach (var node in list.EnumerateArray())
            {
                if (node.EnumerateObject().Any(p => p.Name is not ("nodeId" or "fieldName" or "fieldValue" or "description")))
                {
                    return Results.Json(SimulatorPayloads.V2Error("803", "APIKEY_INVALID_NODE_INFO"));
                }

                nodes.Add(new SimNode(Str(node, "nodeId"), Str(node, "fieldName"), Str(node, "fieldValue"), node.TryGetProperty("description", out var d) ? d.GetString() : null));
            }

            if (SimulatorApps.Check(webappId, nodes, state.File) is { } refused)
            {
                state.RecordRefusedRun(webappId, nodes, refused.Code, refused.Message);
                return Results.Json(SimulatorPayloads.V2Error(refused.Code, refused.Message));
            }

            var webhook = body.TryGetProperty("webhookUrl", out var w) ? w.GetString() : null;
            var (task, capacity, hangs) = state.Start(key!, webappId, nodes, webhook);
            if (capacity is not null)
            {
                return Results.Json(SimulatorPayloads.V2Error(capacity, capacity switch { "421" => "TASK_QUEUE_MAXED", "415" => "TASK_INSTANCE_MAXED", "1003" => "too many requests", _ => "user concurrency limit" }));
            }

            if (hangs)
            {
                // The task exists; the answer never comes (until the caller gives up or this server stops).
                using var hang = CancellationTokenSource.CreateLinkedTokenSource(aborted, lifetime.ApplicationStopping);
                await Task.Delay(Timeout.InfiniteTimeSpan, hang.Token);
            }

            return Results.Json(new { taskId = task!.TaskId, status = "QUEUED", errorCode = "", errorMessage = "", results = (object?)null, clientId = "sim", promptTips = "{}" });
        });

        group.MapPost("/openapi/v2/query", async (HttpRequest request, SimulatorState state) =>
        {
            if (!state.IsValidKey(BearerKey(request)))
            {
                return Results.Json(SimulatorPayloads.V2Error("1601", "API key verification failed"));
            }

            var body = await ReadJsonAsync(request);
            var task = state.Find(body is { } b ? Str(b, "taskId") : null);
            if (task is null || task.ApiKey != BearerKey(request) || state.Settings.QueryNotFound)
            {
                return Results.Json(SimulatorPayloads.V2Error("1007", "task or parameters not found"));
            }

            return Results.Json(SimulatorPayloads.Query(task, state.FilesBaseUrl, state.Settings.FailureMessage));
        });

        group.MapPost("/task/openapi/cancel", async (HttpRequest request, SimulatorState state) =>
        {
            var body = await ReadJsonAsync(request);
            var key = body is { } b ? Str(b, "apiKey") : null;
            if (!state.IsValidKey(key))
            {
                return Results.Json(SimulatorPayloads.LegacyError("802", "APIKEY_INVALID"));
            }

            var task = state.Find(Str(body!.Value, "taskId"));
            if (task is null || task.ApiKey != key)
            {
                return Results.Json(SimulatorPayloads.LegacyError("807", "APIKEY_TASK_NOT_FOUND"));
            }

            return state.Cancel(task) ? Results.Json(new { code = 0, msg = "success", data = (object?)null })
                : Results.Json(SimulatorPayloads.LegacyError("817", "cancel not allowed"));
        });

        group.MapPost("/uc/openapi/accountStatus", async (HttpRequest request, SimulatorState state) =>
        {
            var body = await ReadJsonAsync(request);
            var key = body is { } b ? Str(b, "apikey") : null;
            if (!state.IsValidKey(key))
            {
                return Results.Json(SimulatorPayloads.LegacyError("802", "APIKEY_INVALID"));
            }

            return Results.Json(new
            {
                code = 0,
                msg = "success",
                data = new { remainCoins = "9999", currentTaskCounts = state.ActiveFor(key!).ToString(CultureInfo.InvariantCulture), remainMoney = "99.50", currency = "USD", apiType = "NORMAL" },
            });
        });

        group.MapGet("/files/openapi/{name}", (string name, SimulatorState state) =>
            state.File($"openapi/{name}") is { } bytes
                ? Results.Bytes(bytes, Path.GetExtension(name) switch { ".mp4" => "video/mp4", ".jpg" or ".jpeg" => "image/jpeg", ".webp" => "image/webp", _ => "image/png" })
                : Results.NotFound());

        var control = group.MapGroup("/_control");
        control.AddEndpointFilter(async (context, next) =>
            IsLocalCaller(context.HttpContext) ? await next(context) : Results.NotFound());
        control.MapGet("/settings", (SimulatorState state) => Results.Json(state.Settings));
        control.MapPut("/settings", (SimulatorSettings settings, SimulatorState state) =>
        {
            state.Settings = settings;
            return Results.Json(state.Settings);
        });
        control.MapPost("/reset", (SimulatorState state) =>
        {
            state.Reset();
            return Results.NoContent();
        });
        control.MapGet("/stats", (SimulatorState state) => Results.Json(new
        {
            startCalls = state.StartCalls,
            webhooksSent = state.WebhooksSent,
            tasks = state.Tasks.Select(t => new { t.TaskId, status = SimulatorPayloads.StatusText(t.Status), t.WebappId, nodeInfoList = t.Nodes }),
            refusedRuns = state.RefusedRuns,
        }));
        return group;
    }

    private static string? BearerKey(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;

    /// <summary>
    /// A program on this machine, for the controls: a loopback peer not relayed by a proxy (which would make every visitor
    /// look local), not a web page (browsers send Origin with a cross-site post), not a rebound DNS name (a loopback Host).
    /// </summary>
    public static bool IsLocalCaller(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } peer && System.Net.IPAddress.IsLoopback(peer)
        && !context.Request.Headers.ContainsKey("X-Forwarded-For") && !context.Request.Headers.ContainsKey("Forwarded")
        && !context.Request.Headers.ContainsKey("Origin")
        && context.Request.Host.Host is "localhost" or "127.0.0.1" or "[::1]" or "::1";

    private static string Str(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? (value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText()) : "";

    private static async Task<JsonElement?> ReadJsonAsync(HttpRequest request)
    {
        try
        {
            var element = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body);
            return element.ValueKind == JsonValueKind.Object ? element : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Moves simulated tasks along every 100 ms and sends their webhooks; one failed tick never stops it.</summary>
internal sealed class SimulatorClock(SimulatorState state) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var ended = state.CollectEnded();
                if (ended.Count > 0)
                {
                    await state.DeliverWebhooksAsync(ended, stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Console.Error.WriteLine($"simulator tick failed: {ex.Message}");
            }
        }
    }
}
