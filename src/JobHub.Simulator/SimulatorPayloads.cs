using System.Globalization;
using System.Text.Json;

namespace JobHub.Simulator;

/// <summary>RunningHub's response and webhook shapes (RUNNINGHUB.md), as the real service sends them.</summary>
public static class SimulatorPayloads
{
    public static string StatusText(SimTaskStatus status) => status switch
    {
        SimTaskStatus.Queued => "QUEUED",
        SimTaskStatus.Running => "RUNNING",
        SimTaskStatus.Success => "SUCCESS",
        SimTaskStatus.Failed => "FAILED",
        _ => "CANCELED",
    };

    public static object V2Error(string code, string message) =>
        new { taskId = "", status = "", errorCode = code, errorMessage = message, results = (object?)null };

    public static object LegacyError(string code, string message) => new { code = int.Parse(code, CultureInfo.InvariantCulture), msg = message, data = (object?)null };

    /// <summary>The v2 query answer (also the object form of a webhook's eventData).</summary>
    public static object Query(SimTask task, string filesBaseUrl, string failureMessage)
    {
        var seconds = ((task.EndedAt ?? DateTimeOffset.UtcNow) - task.CreatedAt).TotalSeconds;
        var ended = task.Status is SimTaskStatus.Success or SimTaskStatus.Failed;
        return new
        {
            taskId = task.TaskId,
            status = StatusText(task.Status),
            errorCode = task.Status == SimTaskStatus.Failed ? "805" : "",
            errorMessage = task.Status == SimTaskStatus.Failed ? failureMessage : "",
            failedReason = task.Status == SimTaskStatus.Failed
                ? new { node_id = task.Nodes.FirstOrDefault()?.NodeId ?? "1", node_name = "KSampler", exception_type = "RuntimeError", exception_message = failureMessage, traceback = "Traceback (simulated)" }
                : null,
            usage = ended
                ? new
                {
                    consumeMoney = (seconds * 0.0006).ToString("0.0000", CultureInfo.InvariantCulture),
                    consumeCoins = (seconds * 0.06).ToString("0.00", CultureInfo.InvariantCulture),
                    thirdPartyConsumeMoney = (string?)null,
                    taskCostTime = seconds.ToString("0", CultureInfo.InvariantCulture),
                }
                : null,
            results = task.Status == SimTaskStatus.Success && task.OutputName is not null
                ? new[] { new { url = $"{filesBaseUrl}/{task.OutputName}", nodeId = "9", outputType = Path.GetExtension(task.OutputName).TrimStart('.'), text = (string?)null } }
                : null,
            clientId = "sim",
            promptTips = "{}",
        };
    }

    /// <summary>The legacy outputs shape, the string form of a webhook's eventData.</summary>
    public static object LegacyOutputs(SimTask task, string filesBaseUrl, string failureMessage)
    {
        var seconds = ((task.EndedAt ?? DateTimeOffset.UtcNow) - task.CreatedAt).TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
        if (task.Status == SimTaskStatus.Failed)
        {
            return new
            {
                code = 805,
                msg = "APIKEY_TASK_STATUS_ERROR",
                data = new { failedReason = new { node_id = "1", node_name = "KSampler", exception_type = "RuntimeError", exception_message = failureMessage } },
            };
        }

        return new
        {
            code = 0,
            msg = "success",
            data = new[] { new { fileUrl = $"{filesBaseUrl}/{task.OutputName}", fileType = Path.GetExtension(task.OutputName ?? ".png").TrimStart('.'), taskCostTime = seconds, nodeId = "9" } },
        };
    }

    public static object WebhookBody(SimTask task, string filesBaseUrl, bool eventDataAsString, string failureMessage) => new
    {
        @event = "TASK_END",
        taskId = task.TaskId,
        eventData = eventDataAsString
            ? (object)JsonSerializer.Serialize(LegacyOutputs(task, filesBaseUrl, failureMessage))
            : Query(task, filesBaseUrl, failureMessage),
    };

    /// <summary>A stale copy that says the task is still running, sent after the final one (out of order).</summary>
    public static object StaleWebhookBody(SimTask task) => new
    {
        @event = "TASK_END",
        taskId = task.TaskId,
        eventData = new { taskId = task.TaskId, status = "RUNNING", errorCode = "", errorMessage = "" },
    };
}
