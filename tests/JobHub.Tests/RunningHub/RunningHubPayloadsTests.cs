using System.Text.Json;
using JobHub.Core.RunningHub;

namespace JobHub.Tests.RunningHub;

/// <summary>Recorded-shape payloads for each variant in RUNNINGHUB.md.</summary>
public sealed class RunningHubPayloadsTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void V2Query_Success_WithStringUsage()
    {
        var result = RunningHubPayloads.ParseQuery(Json("""
            {"taskId":"2019424519973900289","status":"SUCCESS","errorCode":"","errorMessage":"","failedReason":null,
             "usage":{"consumeMoney":"0.0421","consumeCoins":"4.21","thirdPartyConsumeMoney":null,"taskCostTime":"35"},
             "results":[{"url":"https://rh-images.example/out.png","nodeId":"9","outputType":"png","text":null}],"clientId":"c","promptTips":"{}"}
            """));

        Assert.Equal(RemoteTaskStatus.Success, result.Status);
        Assert.Equal("https://rh-images.example/out.png", Assert.Single(result.Outputs).Url);
        Assert.Equal(new TaskUsage(0.0421m, 4.21m, null, 35m), result.Usage);
    }

    [Fact]
    public void V2Query_NullUsage_AndNumericTaskId()
    {
        var result = RunningHubPayloads.ParseQuery(Json("""{"taskId":2019424519973900289,"status":"RUNNING","usage":null,"results":null}"""));

        Assert.Equal(RemoteTaskStatus.Running, result.Status);
        Assert.Null(result.Usage);
        Assert.Empty(result.Outputs);
    }

    [Fact]
    public void V2Query_Failed_TakesTheMessageFromFailedReason()
    {
        var result = RunningHubPayloads.ParseQuery(Json("""
            {"taskId":"1","status":"FAILED","errorCode":"","errorMessage":"",
             "failedReason":{"node_id":"27","node_name":"KSampler","exception_type":"RuntimeError","exception_message":"CUDA OOM","traceback":"..."}}
            """));

        Assert.Equal(RemoteTaskStatus.Failed, result.Status);
        Assert.Equal("CUDA OOM", result.ErrorMessage);
    }

    [Theory]
    [InlineData("PAUSED")]
    [InlineData("")]
    [InlineData("success?")]
    public void UnknownStatus_IsNeverSuccess(string status)
    {
        var result = RunningHubPayloads.ParseQuery(Json($$"""{"taskId":"1","status":"{{status}}","results":[{"url":"https://x/y.png"}]}"""));

        Assert.Equal(RemoteTaskStatus.Unknown, result.Status);
    }

    [Theory]
    [InlineData("CANCELED")]
    [InlineData("CANCELLED")]
    public void BothCancelSpellings_AreCancelled(string status) =>
        Assert.Equal(RemoteTaskStatus.Cancelled, RunningHubPayloads.ParseQuery(Json($$"""{"taskId":"1","status":"{{status}}"}""")).Status);

    [Fact]
    public void RequestLevelError_WithEmptyTaskId_IsClassified()
    {
        var result = RunningHubPayloads.ParseQuery(Json("""{"taskId":"","errorCode":"1007","errorMessage":"task or parameters not found"}"""));

        Assert.Equal(CallOutcome.NotFound, result.Outcome);
        Assert.Equal("task or parameters not found", result.Message);
    }

    [Fact]
    public void LegacyOutputs_Success()
    {
        var result = RunningHubPayloads.ParseLegacyOutputs(Json("""
            {"code":0,"msg":"success","data":[{"fileUrl":"https://rh/a.mp4","fileType":"mp4","taskCostTime":"120","nodeId":"3"}]}
            """));

        Assert.Equal(RemoteTaskStatus.Success, result.Status);
        Assert.Equal(("https://rh/a.mp4", "3", "mp4"), (result.Outputs[0].Url, result.Outputs[0].NodeId, result.Outputs[0].OutputType));
        Assert.Equal(120m, result.Usage!.TaskCostTime);
    }

    [Fact]
    public void LegacyOutputs_Failure_KeepsCodeAndMessage()
    {
        var result = RunningHubPayloads.ParseLegacyOutputs(Json("""
            {"code":805,"msg":"APIKEY_TASK_STATUS_ERROR","data":{"failedReason":{"exception_message":"node 43 missing image"}}}
            """));

        Assert.Equal(RemoteTaskStatus.Failed, result.Status);
        Assert.Equal("805", result.ErrorCode);
        Assert.Equal("node 43 missing image", result.ErrorMessage);
    }

    [Theory]
    [InlineData("421", CallOutcome.Capacity)]
    [InlineData("415", CallOutcome.Capacity)]
    [InlineData("1520", CallOutcome.Capacity)]
    [InlineData("1003", CallOutcome.RateLimited)]
    [InlineData("807", CallOutcome.NotFound)]
    [InlineData("1007", CallOutcome.NotFound)]
    [InlineData("433", CallOutcome.Error)]
    [InlineData("812", CallOutcome.Error)]
    [InlineData("abc", CallOutcome.Error)]
    public void Codes_AreClassified(string code, CallOutcome expected) => Assert.Equal(expected, RunningHubPayloads.Classify(code));

    [Fact]
    public void Errors_AreFoundInBothGenerations()
    {
        Assert.Equal(("812", "insufficient funds"), RunningHubPayloads.Error(Json("""{"code":812,"msg":"insufficient funds"}""")));
        Assert.Equal(("421", "TASK_QUEUE_MAXED"), RunningHubPayloads.Error(Json("""{"taskId":"","errorCode":"421","errorMessage":"TASK_QUEUE_MAXED"}""")));
        Assert.Null(RunningHubPayloads.Error(Json("""{"code":0,"msg":"success"}""")));
        Assert.Null(RunningHubPayloads.Error(Json("""{"taskId":"1","errorCode":"","errorMessage":""}""")));
        Assert.Null(RunningHubPayloads.Error(Json("""{"taskId":"1","status":"FAILED","errorCode":"805","errorMessage":"OOM"}""")));
    }
}
