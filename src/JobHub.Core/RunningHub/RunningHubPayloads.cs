using System.Globalization;
using System.Text.Json;

namespace JobHub.Core.RunningHub;

/// <summary>
/// Tolerant readers for RunningHub's JSON (RUNNINGHUB.md): ids and figures may come as strings or numbers
/// or be missing; task results come in the v2 query shape or the legacy outputs shape; a webhook's
/// <c>eventData</c> may be a JSON string or an object.
/// </summary>
public static class RunningHubPayloads
{
    public static readonly int[] CapacityCodes = [421, 415, 1520];
    public const int RateLimitCode = 1003;
    public static readonly int[] NotFoundCodes = [807, 1007];

    public static string? Text(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }

    public static decimal? Number(JsonElement element, string name) =>
        decimal.TryParse(Text(element, name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    public static JsonElement? Child(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
            ? value
            : null;

    /// <summary>Classifies a RunningHub error code (from <c>code</c> or <c>errorCode</c>).</summary>
    public static CallOutcome Classify(string? code)
    {
        if (!int.TryParse(code, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            return CallOutcome.Error;
        }

        return CapacityCodes.Contains(number) ? CallOutcome.Capacity
            : number == RateLimitCode ? CallOutcome.RateLimited
            : NotFoundCodes.Contains(number) ? CallOutcome.NotFound
            : CallOutcome.Error;
    }

    /// <summary>The error in a response body, if any: a non-zero legacy <c>code</c> or a non-empty v2 <c>errorCode</c>.</summary>
    public static (string Code, string Message)? Error(JsonElement body)
    {
        // A body naming a task and its status is that task's answer (a FAILED task carries errorCode too), not a request error.
        if (!string.IsNullOrEmpty(Text(body, "taskId")) && !string.IsNullOrEmpty(Text(body, "status")))
        {
            return null;
        }

        var code = Text(body, "code");
        if (code is not null && code != "0" && code != "200")
        {
            return (code, Text(body, "msg") ?? Text(body, "message") ?? "");
        }

        var errorCode = Text(body, "errorCode");
        if (!string.IsNullOrEmpty(errorCode) && errorCode != "0")
        {
            return (errorCode, Text(body, "errorMessage") ?? Text(body, "msg") ?? "");
        }

        return null;
    }

    public static RemoteTaskStatus ParseStatus(string? status) => status?.Trim().ToUpperInvariant() switch
    {
        "QUEUED" => RemoteTaskStatus.Queued,
        "RUNNING" => RemoteTaskStatus.Running,
        "SUCCESS" => RemoteTaskStatus.Success,
        "FAILED" => RemoteTaskStatus.Failed,
        "CANCELED" or "CANCELLED" => RemoteTaskStatus.Cancelled,
        _ => RemoteTaskStatus.Unknown,
    };

    public static TaskUsage? Usage(JsonElement? usage) =>
        usage is { ValueKind: JsonValueKind.Object } u
            ? new TaskUsage(Number(u, "consumeMoney"), Number(u, "consumeCoins"), Number(u, "thirdPartyConsumeMoney"), Number(u, "taskCostTime"))
            : null;

    /// <summary>Reads a v2 query response (also the object form of a webhook's <c>eventData</c>).</summary>
    public static TaskQueryResult ParseQuery(JsonElement body)
    {
        if (Error(body) is { } error && string.IsNullOrEmpty(Text(body, "status")))
        {
            var outcome = Classify(error.Code);
            return new TaskQueryResult(outcome, RemoteTaskStatus.Unknown, [], null, error.Code, error.Message, Code: error.Code, Message: error.Message);
        }

        var rawStatus = Text(body, "status") ?? Text(body, "taskStatus");
        var status = ParseStatus(rawStatus);
        var outputs = new List<TaskOutput>();
        if (Child(body, "results") is { ValueKind: JsonValueKind.Array } results)
        {
            foreach (var result in results.EnumerateArray())
            {
                if ((Text(result, "url") ?? Text(result, "fileUrl")) is { Length: > 0 } url)
                {
                    outputs.Add(new TaskOutput(url, Text(result, "nodeId"), Text(result, "outputType") ?? Text(result, "fileType"), Text(result, "text")));
                }
            }
        }

        var failedReason = Child(body, "failedReason");
        var errorCode = Text(body, "errorCode");
        var errorMessage = Text(body, "errorMessage");
        if (status == RemoteTaskStatus.Failed && string.IsNullOrEmpty(errorMessage) && failedReason is { } reason)
        {
            errorMessage = Text(reason, "exception_message") ?? Text(reason, "exception_type");
        }

        return new TaskQueryResult(CallOutcome.Success, status, outputs, Usage(Child(body, "usage")),
            string.IsNullOrEmpty(errorCode) ? null : errorCode, string.IsNullOrEmpty(errorMessage) ? null : errorMessage,
            failedReason?.Clone(), rawStatus);
    }

    /// <summary>
    /// Reads the legacy outputs shape (<c>{code, msg, data:[{fileUrl, fileType, taskCostTime, nodeId}]}</c>), the string
    /// form of a webhook's <c>eventData</c>: code 0 with files is success, a non-zero code is failure.
    /// </summary>
    public static TaskQueryResult ParseLegacyOutputs(JsonElement body)
    {
        var code = Text(body, "code");
        if (code is null)
        {
            return ParseQuery(body);
        }

        if (code != "0")
        {
            var failedReason = Child(body, "data") is { ValueKind: JsonValueKind.Object } data ? Child(data, "failedReason") : Child(body, "failedReason");
            var message = Text(body, "msg") ?? Text(body, "message");
            if (failedReason is { } reason)
            {
                message = Text(reason, "exception_message") ?? message;
            }

            return new TaskQueryResult(CallOutcome.Success, RemoteTaskStatus.Failed, [], null, code, message, failedReason?.Clone(), "FAILED");
        }

        var outputs = new List<TaskOutput>();
        decimal? costTime = null;
        if (Child(body, "data") is { ValueKind: JsonValueKind.Array } files)
        {
            foreach (var file in files.EnumerateArray())
            {
                if ((Text(file, "fileUrl") ?? Text(file, "url")) is { Length: > 0 } url)
                {
                    outputs.Add(new TaskOutput(url, Text(file, "nodeId"), Text(file, "fileType") ?? Text(file, "outputType")));
                }

                costTime ??= Number(file, "taskCostTime");
            }
        }

        return new TaskQueryResult(CallOutcome.Success, outputs.Count > 0 ? RemoteTaskStatus.Success : RemoteTaskStatus.Unknown, outputs,
            costTime is null ? null : new TaskUsage(null, null, null, costTime), RawStatus: outputs.Count > 0 ? "SUCCESS" : null);
    }
}
