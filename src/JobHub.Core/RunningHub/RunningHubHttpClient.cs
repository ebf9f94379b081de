using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace JobHub.Core.RunningHub;

/// <summary>
/// RunningHub over HTTP (docs/runninghub.md), each call with a timeout. Query, account status, upload and cancel are retried
/// on transport faults and rate limits (harmless to repeat); start never is, and one whose answer was lost after sending is
/// <see cref="CallOutcome.Unknown"/>. API keys never reach a log or an exception message.
/// </summary>
/// <param name="metrics">Where each call's outcome and time are recorded; none for a client made outside a JobHub host.</param>
public sealed class RunningHubHttpClient(HttpClient http, IOptions<RunningHubOptions> options, ILogger<RunningHubHttpClient> logger,
    Telemetry.EngineMetrics? metrics = null) : IRunningHubClient
{
    private static readonly ResiliencePipeline<HttpOutcome> Retry = new ResiliencePipelineBuilder<HttpOutcome>()
        .AddRetry(new RetryStrategyOptions<HttpOutcome>
        {
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(250),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Retryable: true }),
        })
        .Build();

    public async Task<UploadResult> UploadAsync(RunningHubAccount account, Stream content, string fileName, string contentType,
        CancellationToken cancellationToken)
    {
        // Streamed, never held in memory: a stored file is sent from its start on each attempt; another stream is spooled to disk.
        await using var spooled = content.CanSeek ? null : await SpoolAsync(content, cancellationToken);
        var source = spooled ?? content;
        var start = source.Position;
        var outcome = await SendAsync(account, "upload", "openapi/v2/media/upload/binary", retry: true, cancellationToken, () =>
        {
            var file = new RewoundBody(source, start);
            file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            var form = new MultipartFormDataContent { { file, "file", fileName } };
            return Bearer(account, form);
        });
        if (outcome.Failure is { } failure)
        {
            return new UploadResult(failure.Outcome, null, failure.Code, failure.Message);
        }

        var data = RunningHubPayloads.Child(outcome.Body, "data") ?? outcome.Body;
        var stored = RunningHubPayloads.Text(data, "fileName");
        return string.IsNullOrEmpty(stored)
            ? new UploadResult(CallOutcome.Transport, null, null, "RunningHub's upload answer had no fileName")
            : new UploadResult(CallOutcome.Success, stored);
    }

    private static async Task<FileStream> SpoolAsync(Stream content, CancellationToken cancellationToken)
    {
        var spool = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        await content.CopyToAsync(spool, cancellationToken);
        spool.Position = 0;
        return spool;
    }

    /// <summary>A seekable stream as a request body, from <paramref name="start"/> each time it is sent, and left open for a retry.</summary>
    private sealed class RewoundBody(Stream source, long start) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            source.Position = start;
            await source.CopyToAsync(stream, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = source.Length - start;
            return true;
        }
    }

    public async Task<StartResult> StartAsync(RunningHubAccount account, StartRequest request, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object?>
        {
            ["nodeInfoList"] = request.Nodes.Select(n => new Dictionary<string, string?>
            {
                ["nodeId"] = n.NodeId, ["fieldName"] = n.FieldName, ["fieldValue"] = n.FieldValue, ["description"] = n.Description,
            }).ToList(),
        };
        if (request.WebhookUrl is not null)
        {
            body["webhookUrl"] = request.WebhookUrl;
        }

        if (!string.IsNullOrEmpty(request.InstanceType))
        {
            body["instanceType"] = request.InstanceType;
        }

        var outcome = await SendAsync(account, "start", $"openapi/v2/run/ai-app/{Uri.EscapeDataString(request.WebappId)}", retry: false, cancellationToken,
            () => Bearer(account, JsonContent.Create(body)), isStart: true);
        if (outcome.Failure is { } failure)
        {
            return new StartResult(failure.Outcome, null, failure.Code, failure.Message);
        }

        var data = RunningHubPayloads.Child(outcome.Body, "data") is { ValueKind: JsonValueKind.Object } legacy ? legacy : outcome.Body;
        var taskId = RunningHubPayloads.Text(data, "taskId");
        return string.IsNullOrEmpty(taskId)
            ? new StartResult(CallOutcome.Unknown, null, null, "RunningHub answered the start without a taskId")
            : new StartResult(CallOutcome.Success, taskId);
    }

    public async Task<TaskQueryResult> QueryAsync(RunningHubAccount account, string taskId, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(account, "query", "openapi/v2/query", retry: true, cancellationToken,
            () => Bearer(account, JsonContent.Create(new { taskId })));
        if (outcome.Failure is { } failure)
        {
            return new TaskQueryResult(failure.Outcome, RemoteTaskStatus.Unknown, [], null, Code: failure.Code, Message: failure.Message);
        }

        var result = RunningHubPayloads.ParseQuery(outcome.Body);
        if (result.Status == RemoteTaskStatus.Unknown && result.Outcome == CallOutcome.Success)
        {
            logger.LogWarning("RunningHub reported task {TaskId} with an unknown status {Status}", taskId, result.RawStatus);
        }

        return result;
    }

    public async Task<CallResult> CancelAsync(RunningHubAccount account, string taskId, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(account, "cancel", "task/openapi/cancel", retry: true, cancellationToken,
            () => new HttpRequestMessage { Content = JsonContent.Create(new { apiKey = account.ApiKey, taskId }) });
        return outcome.Failure ?? new CallResult(CallOutcome.Success);
    }

    public async Task<AccountStatusResult> GetAccountStatusAsync(RunningHubAccount account, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(account, "account_status", "uc/openapi/accountStatus", retry: true, cancellationToken,
            () => new HttpRequestMessage { Content = JsonContent.Create(new { apikey = account.ApiKey }) });
        if (outcome.Failure is { } failure)
        {
            return new AccountStatusResult(failure.Outcome, null, null, null, null, failure.Code, failure.Message);
        }

        var data = RunningHubPayloads.Child(outcome.Body, "data") ?? outcome.Body;
        var tasks = RunningHubPayloads.Number(data, "currentTaskCounts");
        return new AccountStatusResult(CallOutcome.Success, RunningHubPayloads.Number(data, "remainCoins"), tasks is null ? null : (int)tasks,
            RunningHubPayloads.Number(data, "remainMoney"), RunningHubPayloads.Text(data, "currency"));
    }

    private static HttpRequestMessage Bearer(RunningHubAccount account, HttpContent content)
    {
        var request = new HttpRequestMessage { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.ApiKey);
        return request;
    }

    private sealed record HttpOutcome(JsonElement Body, CallResult? Failure, bool Retryable);

    /// <param name="endpoint">The call's name in the metrics.</param>
    private async Task<HttpOutcome> SendAsync(RunningHubAccount account, string endpoint, string path, bool retry, CancellationToken cancellationToken,
        Func<HttpRequestMessage> build, bool isStart = false)
    {
        var uri = new Uri($"{account.BaseUrl.TrimEnd('/')}/{path}");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = retry
            ? await Retry.ExecuteAsync(async token => await SendOnceAsync(uri, build, isStart, token), cancellationToken)
            : await SendOnceAsync(uri, build, isStart, cancellationToken);
        metrics?.RunningHubCall(endpoint, (outcome.Failure?.Outcome ?? CallOutcome.Success).ToString(), System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return outcome;
    }

    private async Task<HttpOutcome> SendOnceAsync(Uri uri, Func<HttpRequestMessage> build, bool isStart, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.CallTimeout);
        using var request = build();
        request.Method = HttpMethod.Post;
        request.RequestUri = uri;
        var sent = false;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            sent = true;
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            JsonElement body;
            try
            {
                body = JsonDocument.Parse(string.IsNullOrWhiteSpace(text) ? "{}" : text).RootElement.Clone();
            }
            catch (JsonException)
            {
                return NotTheApi(response.StatusCode, isStart);
            }

            if (RunningHubPayloads.Error(body) is { } error)
            {
                var outcome = RunningHubPayloads.Classify(error.Code);
                return new HttpOutcome(body, new CallResult(outcome, error.Code, error.Message), outcome == CallOutcome.RateLimited);
            }

            if (!response.IsSuccessStatusCode)
            {
                return NotTheApi(response.StatusCode, isStart);
            }

            return new HttpOutcome(body, null, false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("RunningHub call {Path} timed out after {Timeout}", uri.AbsolutePath, options.Value.CallTimeout);
            return new HttpOutcome(default, new CallResult(isStart ? CallOutcome.Unknown : CallOutcome.Transport, null,
                $"RunningHub did not answer within {options.Value.CallTimeout.TotalSeconds:0} s"), !isStart);
        }
        catch (HttpRequestException ex)
        {
            // Refused or unresolvable: the request never left, so even a start is safely "not done".
            var neverSent = ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.TryAgain }
                || ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError;
            logger.LogWarning("RunningHub call {Path} failed: {Error}", uri.AbsolutePath, ex.HttpRequestError);
            var outcome = isStart && (sent || !neverSent) ? CallOutcome.Unknown : CallOutcome.Transport;
            return new HttpOutcome(default, new CallResult(outcome, null, $"RunningHub could not be reached ({ex.HttpRequestError})"), !isStart);
        }
    }

    private static HttpOutcome NotTheApi(HttpStatusCode status, bool isStart)
    {
        var code = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (status == HttpStatusCode.TooManyRequests)
        {
            return new HttpOutcome(default, new CallResult(CallOutcome.RateLimited, code, "RunningHub asked to slow down (HTTP 429)"), true);
        }

        var serverSide = (int)status >= 500;
        var outcome = isStart && serverSide ? CallOutcome.Unknown : serverSide ? CallOutcome.Transport : CallOutcome.Error;
        return new HttpOutcome(default, new CallResult(outcome, code, $"RunningHub answered HTTP {code}"), serverSide && !isStart);
    }
}
