using System.Net;
using System.Net.Http.Json;
using JobHub.Core.Jobs;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Tools;

/// <summary>
/// The request each app receives, checked at the simulator over real HTTP against docs/runninghub.md's nodes (written out
/// here, not read from configuration), for every app and every combination of controls that applies. A changed node id
/// fails here, and the simulator refuses it as RunningHub would (803): the job fails and is refunded.
/// </summary>
public sealed class RunningHubAppsContractTests(RunningHubAppsContractTests.Fixture fixture) : IClassFixture<RunningHubAppsContractTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public LiveJobHub Hub { get; private set; } = null!;

        public async Task InitializeAsync() =>
            Hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:MaxConcurrent"] = "50" },
                new SimulatorSettings { RunFor = TimeSpan.FromMinutes(10), ConcurrencyPerKey = 100 });

        public async Task DisposeAsync() => await Hub.DisposeAsync();
    }

    private const string Image = "<image>";
    private const string Portrait = "<our portrait prompt>";

    /// <summary>version, category, framing, other parameters → the app and its nodeInfoList (node id, field, value).</summary>
    public static TheoryData<string, string, string> Upscaler => new()
    {
        // people, close, pro: image 26, detail 25, resolution 73, editing level 91, prompt 128
        { "version=pro;category=people;framing=close", "2015865378030755841", $"26 image {Image}|25 value 0.15|73 value 2048|91 value 0.1|128 text {Portrait}" },
        { "version=pro;category=people;framing=close;resolution=4k;detail=0.42;editing=0.3;prompt=keep the freckles",
          "2015865378030755841", $"26 image {Image}|25 value 0.42|73 value 4096|91 value 0.3|128 text keep the freckles" },
        // people, close, standard: the default detail and our prompt, resolution on node 75
        { "version=standard;category=people;framing=close", "2017030861371219969", $"26 image {Image}|25 value 0.15|75 value 2048|128 text {Portrait}" },
        { "version=standard;category=people;framing=close;resolution=4k", "2017030861371219969", $"26 image {Image}|25 value 0.15|75 value 4096|128 text {Portrait}" },
        // people, far (both versions): image 1, resolution 7
        { "version=standard;category=people;framing=far", "2017343414227963905", $"1 image {Image}|7 value 2048" },
        { "version=pro;category=people;framing=far;resolution=4k", "2017343414227963905", $"1 image {Image}|7 value 4096" },
        // old photo (both versions): the image alone, node 139
        { "version=standard;category=old_photo", "2018913880214343681", $"139 image {Image}" },
        { "version=pro;category=old_photo", "2018913880214343681", $"139 image {Image}" },
        // food and objects (both versions): image 50, detail 48 in 0.70–1.00
        { "version=standard;category=food", "2015855359243587585", $"50 image {Image}|48 value 0.85" },
        { "version=pro;category=food;detail=0.7", "2015855359243587585", $"50 image {Image}|48 value 0.7" },
        // logo and art: image 39; detail 33 for pro only
        { "version=standard;category=logo", "2019239272464785409", $"39 image {Image}" },
        { "version=pro;category=logo", "2019239272464785409", $"39 image {Image}|33 value 0.4" },
        { "version=pro;category=logo;detail=0.55", "2019239272464785409", $"39 image {Image}|33 value 0.55" },
        // 3D render and seals: image 301; detail 300 for pro only
        { "version=standard;category=render3d", "2019234965992509442", $"301 image {Image}" },
        { "version=pro;category=render3d", "2019234965992509442", $"301 image {Image}|300 value 0.8" },
        { "version=pro;category=render3d;detail=0.9", "2019234965992509442", $"301 image {Image}|300 value 0.9" },
    };

    public static TheoryData<string, string, string> OtherTools => new()
    {
        { "pose-changer", "2018451429635133442", $"27 image {Image}|60 image {Image}" },
        { "virtual-try-on", "2018755100210106369", $"41 image {Image}|43 image {Image}" },
        { "video-upscaler", "2018810750139109378", $"3 video {Image}" },
    };

    [Theory]
    [MemberData(nameof(Upscaler))]
    public async Task EachUpscalerApp_ReceivesExactlyItsRealNodes(string choices, string webappId, string expected)
    {
        var parameters = choices.Split(';').Select(c => c.Split('=', 2)).ToDictionary(c => c[0], c => (string?)c[1]);
        await AssertRequestAsync("image-upscaler", parameters, webappId, expected);
    }

    [Theory]
    [MemberData(nameof(OtherTools))]
    public async Task EachOtherTool_ReceivesExactlyItsRealNodes(string tool, string webappId, string expected) =>
        await AssertRequestAsync(tool, new Dictionary<string, string?>(), webappId, expected);

    private async Task AssertRequestAsync(string tool, Dictionary<string, string?> parameters, string webappId, string expected)
    {
        var hub = fixture.Hub;
        var job = await hub.SubmitAsync(await hub.CreateUserAsync(10), tool, parameters);
        job = await hub.WaitForJobAsync(job.Id, j => j.Status != JobStatus.Starting && j.Status != JobStatus.Queued);
        Assert.True(job.Status == JobStatus.Running, $"{job.Status}: {job.ProviderCode} {job.ProviderMessage} {job.ErrorMessage}");

        var task = hub.Simulator.Tasks.Single(t => t.TaskId == job.TaskId);
        Assert.Equal(webappId, task.WebappId);
        var sent = task.Nodes.Select(n => $"{n.NodeId} {n.FieldName} {Shown(n)}").ToList();
        Assert.Equal(expected.Split('|').Order(StringComparer.Ordinal), sent.Order(StringComparer.Ordinal)); // RunningHub reads the list by node id, in any order
    }

    /// <summary>An uploaded file stands as &lt;image&gt; (its name is the simulator's); our default prompt as its placeholder.</summary>
    private string Shown(SimNode node) =>
        fixture.Hub.Simulator.File(node.FieldValue) is not null ? Image
        : node.FieldName == "text" && node.FieldValue.StartsWith("Enhance this portrait", StringComparison.Ordinal) ? Portrait
        : node.FieldValue;

    [Fact]
    public async Task TheSimulator_RefusesAWrongNode_WithRunningHubs803_AndTheJobFailsWithThoseWords_AndIsRefunded()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?>
        {
            ["JobHub:Tools:pose-changer:Webapps:0:Nodes:person:NodeId"] = "28", // the app's person node is 27
        });
        var user = await hub.CreateUserAsync(10);

        var job = await hub.WaitForJobAsync((await hub.SubmitAsync(user)).Id, j => j.Status == JobStatus.Failed);

        Assert.Equal(("803", "APIKEY_INVALID_NODE_INFO"), (job.ProviderCode, job.ProviderMessage));
        Assert.Equal(JobErrorCodes.RunningHubError, job.ErrorCode);
        Assert.Equal("APIKEY_INVALID_NODE_INFO", job.ErrorMessage);
        Assert.Equal(10, await hub.BalanceAsync(user));
        var refused = Assert.Single(hub.Simulator.RefusedRuns);
        Assert.Contains(refused.NodeInfoList, n => n.NodeId == "28");
    }

    [Theory]
    [InlineData("image", "value")] // a wrong field name
    [InlineData("value", "0.5")] // a number where the app takes an image
    public async Task TheSimulator_RefusesAWrongFieldOrValueType_With803(string field, string value)
    {
        var simulator = fixture.Hub.RunningHub;
        using var http = new HttpClient { BaseAddress = new Uri(simulator.BaseUrl + "/") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", simulator.ApiKey);
        var nodes = field == "image"
            ? new[] { new { nodeId = "50", fieldName = "image", fieldValue = "openapi/missing.png" }, new { nodeId = "48", fieldName = value, fieldValue = "0.8" } }
            : new[] { new { nodeId = "50", fieldName = "image", fieldValue = value } };

        using var response = await http.PostAsJsonAsync("openapi/v2/run/ai-app/2015855359243587585", new { nodeInfoList = nodes });
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("803", body.GetProperty("errorCode").GetString());
        Assert.Equal("APIKEY_INVALID_NODE_INFO", body.GetProperty("errorMessage").GetString());
    }

    [Fact]
    public async Task TheSimulator_RefusesAnUnknownApp_With901()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?>
        {
            ["JobHub:Tools:pose-changer:Webapps:0:WebappId"] = "1999999999999999999",
        });
        var user = await hub.CreateUserAsync(10);

        var job = await hub.WaitForJobAsync((await hub.SubmitAsync(user)).Id, j => j.Status == JobStatus.Failed);

        Assert.Equal(("901", "webapp not exists"), (job.ProviderCode, job.ProviderMessage));
        Assert.Equal(10, await hub.BalanceAsync(user));
    }

    [Fact]
    public async Task ALargeImage_GoesToRunningHubScaledTo1536_AndTheOriginalIsKept()
    {
        var hub = fixture.Hub;
        var original = SampleMedia.Png(3000, 2000, 3);

        var job = await hub.SubmitAsync(await hub.CreateUserAsync(10), "image-upscaler",
            new Dictionary<string, string?> { ["category"] = "old_photo" }, original);
        job = await hub.WaitForJobAsync(job.Id, j => j.Status == JobStatus.Running);

        var input = Assert.Single(job.InputFiles);
        Assert.Equal((3000, 2000, 1536, 1024), (input.Width, input.Height, input.ScaledWidth, input.ScaledHeight));
        var sent = hub.Simulator.File(hub.Simulator.Tasks.Single(t => t.TaskId == job.TaskId).Nodes.Single().FieldValue)!;
        using var codec = SkiaSharp.SKCodec.Create(new MemoryStream(sent));
        Assert.Equal((1536, 1024), (codec.Info.Width, codec.Info.Height));
        await using var kept = await hub.Services.GetRequiredService<Core.Storage.IFileStorage>().OpenReadAsync(input.StoredName);
        Assert.Equal(original.Length, kept.Length);
    }
}
