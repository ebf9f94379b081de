using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobHub.Core.RunningHub;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Simulator;

/// <summary>
/// The simulator as a service of its own: its tasks and files outlive a restart, task ids never repeat, it listens on
/// loopback only with a configured key, its controls answer local callers only, and its links never take a request's host.
/// </summary>
public sealed class SimulatorServiceTests : IDisposable
{
    private const string OldPhotoApp = SimulatorControlTests.OldPhotoApp;

    private readonly string folder = Path.Combine(Path.GetTempPath(), "jobhub-tests", "simulator-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Restart_KeepsTasksAndFiles_AndNewTaskIdsAreLargerThanEveryOldOne()
    {
        var settings = new SimulatorSettings { QueuedFor = TimeSpan.Zero, RunFor = TimeSpan.FromMilliseconds(100) };
        var port = KestrelJobHub.FreePort();
        string key, input, finishedId, runningId, output;
        await using (var first = await SimulatorHost.StartAsync(settings, folder, port))
        {
            key = first.ApiKey;
            var client = first.Client();
            input = (await client.UploadAsync(first.Account, new MemoryStream(SampleMedia.Png(4, 4)), "a.png", "image/png", default)).FileName!;
            finishedId = (await client.StartAsync(first.Account, new StartRequest(OldPhotoApp, [new NodeInfo("139", "image", input)], null), default)).TaskId!;
            var done = await first.WaitForAsync(() => client.QueryAsync(first.Account, finishedId, default), q => q.Status == RemoteTaskStatus.Success);
            output = Assert.Single(done.Outputs).Url;
            first.State.Settings = settings with { RunFor = TimeSpan.FromSeconds(2) };
            runningId = (await client.StartAsync(first.Account, new StartRequest(OldPhotoApp, [new NodeInfo("139", "image", input)], null), default)).TaskId!;
        }

        await using var second = await SimulatorHost.StartAsync(settings with { RunFor = TimeSpan.FromSeconds(2) }, folder, port, key);
        var again = second.Client();

        Assert.Equal(RemoteTaskStatus.Success, (await again.QueryAsync(second.Account, finishedId, default)).Status);
        var running = await second.WaitForAsync(() => again.QueryAsync(second.Account, runningId, default), q => q.Status == RemoteTaskStatus.Success);
        Assert.Equal(RemoteTaskStatus.Success, running.Status); // the task running across the restart ends as it would have
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(output)).StatusCode);
        Assert.NotNull(second.State.File(input));
        var next = (await again.StartAsync(second.Account, new StartRequest(OldPhotoApp, [new NodeInfo("139", "image", input)], null), default)).TaskId!;
        Assert.True(long.Parse(next) > Math.Max(long.Parse(finishedId), long.Parse(runningId)), $"{next} after {finishedId}, {runningId}");
    }

    [Fact]
    public async Task TaskIds_NeverRepeat_EvenWithoutADataFolder()
    {
        string before;
        await using (var first = await SimulatorHost.StartAsync())
        {
            before = (await first.Client().StartAsync(first.Account, new StartRequest(OldPhotoApp, [], null), default)).TaskId!;
        }

        await using var second = await SimulatorHost.StartAsync();
        var after = (await second.Client().StartAsync(second.Account, new StartRequest(OldPhotoApp, [], null), default)).TaskId!;

        Assert.Equal(19, after.Length);
        Assert.True(long.Parse(after) > long.Parse(before), $"{after} after {before}");
    }

    [Fact]
    public async Task Controls_AnswerLocalCallers_ButNotThroughAForwardingProxy_NorAWebPage_NorARebindingName()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var http = new HttpClient { BaseAddress = sim.Address };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("rh/_control/settings")).StatusCode);
        foreach (var (header, value) in new[] { ("X-Forwarded-For", "203.0.113.7"), ("Forwarded", "for=203.0.113.7"), ("Origin", "http://evil.example"), ("Host", "rebound.example") })
        {
            foreach (var path in new[] { "rh/_control/settings", "rh/_control/stats" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.Add(header, value);
                Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(request)).StatusCode);
            }

            using var reset = new HttpRequestMessage(HttpMethod.Post, "rh/_control/reset");
            reset.Headers.Add(header, value);
            Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(reset)).StatusCode);
        }
    }

    [Fact]
    public async Task FileLinks_AreBuiltOnTheConfiguredAddress_NeverOnTheRequestsHost()
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorSettings { QueuedFor = TimeSpan.Zero, RunFor = TimeSpan.FromMilliseconds(50) });
        using var http = new HttpClient { BaseAddress = sim.Address };
        http.DefaultRequestHeaders.Authorization = new("Bearer", sim.ApiKey);
        http.DefaultRequestHeaders.Host = "attacker.example";
        using var form = new MultipartFormDataContent { { new ByteArrayContent(SampleMedia.Png(4, 4)), "file", "a.png" } };

        var upload = await (await http.PostAsync("rh/openapi/v2/media/upload/binary", form)).Content.ReadFromJsonAsync<JsonElement>();
        var name = upload.GetProperty("data").GetProperty("fileName").GetString()!;
        var start = await (await http.PostAsJsonAsync($"rh/openapi/v2/run/ai-app/{OldPhotoApp}",
            new { nodeInfoList = new[] { new { nodeId = "139", fieldName = "image", fieldValue = name } } })).Content.ReadFromJsonAsync<JsonElement>();
        var taskId = start.GetProperty("taskId").GetString()!;
        var query = await sim.WaitForAsync(async () => await (await http.PostAsJsonAsync("rh/openapi/v2/query", new { taskId })).Content.ReadFromJsonAsync<JsonElement>(),
            q => q.GetProperty("status").GetString() == "SUCCESS");

        Assert.StartsWith($"{sim.BaseUrl}/files/openapi/", upload.GetProperty("data").GetProperty("download_url").GetString());
        Assert.StartsWith($"{sim.BaseUrl}/files/openapi/", query.GetProperty("results")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task OnlyItsOwnFiles_AreServed()
    {
        await using var sim = await SimulatorHost.StartAsync(dataFolder: folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "files", "secret.txt"), "not an upload");
        using var http = new HttpClient { BaseAddress = sim.Address };

        foreach (var path in new[] { "rh/files/openapi/..%2Fsecret.txt", "rh/files/openapi/%2E%2E", "rh/files/openapi/tasks.jsonl", "rh/files/openapi/secret.txt" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(path)).StatusCode);
        }
    }

    [Fact]
    public void Options_RefuseANonLoopbackAddress_AndAMissingOrShortKey()
    {
        static string Problems(SimulatorOptions options)
        {
            var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
            System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, true);
            return string.Join(" ", results.Select(r => r.ErrorMessage));
        }

        var key = new string('k', SimulatorOptions.MinKeyLength);
        Assert.Equal("", Problems(new SimulatorOptions { BaseUrl = "http://127.0.0.1:5081", ApiKeys = [key] }));
        Assert.Equal("", Problems(new SimulatorOptions { BaseUrl = "http://localhost:5081/rh", ApiKeys = [key] }));
        Assert.Contains("not a loopback address", Problems(new SimulatorOptions { BaseUrl = "http://0.0.0.0:5081", ApiKeys = [key] }));
        Assert.Contains("not a loopback address", Problems(new SimulatorOptions { BaseUrl = "http://jobhub.example.com:5081", ApiKeys = [key] }));
        Assert.Contains("ApiKeys", Problems(new SimulatorOptions { BaseUrl = "http://127.0.0.1:5081" }));
        Assert.Contains("ApiKeys", Problems(new SimulatorOptions { BaseUrl = "http://127.0.0.1:5081", ApiKeys = ["simulator-key"] }));
    }

    [Fact]
    public async Task TheProcess_ListensOnLoopback_AndKeepsItsTasksWhenKilledAndStartedAgain()
    {
        var port = KestrelJobHub.FreePort();
        var account = new RunningHubAccount("sim", $"http://127.0.0.1:{port}", Convert.ToHexString(Guid.NewGuid().ToByteArray()));
        await using var sim = await SimulatorHost.StartAsync(); // only for its client and its wait helper
        var client = sim.Client();
        string taskId;
        using (var first = await StartProcessAsync(account))
        {
            Assert.Equal(CallOutcome.Error, (await client.StartAsync(account with { ApiKey = "simulator-key" }, new StartRequest(OldPhotoApp, [], null), default)).Outcome);
            taskId = (await client.StartAsync(account, new StartRequest(OldPhotoApp, [], null), default)).TaskId!;
            first.Kill(); // SIGKILL: nothing is written on the way out
            await first.WaitForExitAsync();
        }

        using var second = await StartProcessAsync(account);
        try
        {
            var done = await sim.WaitForAsync(() => client.QueryAsync(account, taskId, default), q => q.Status == RemoteTaskStatus.Success);
            Assert.Equal(RemoteTaskStatus.Success, done.Status);
            var next = (await client.StartAsync(account, new StartRequest(OldPhotoApp, [], null), default)).TaskId!;
            Assert.True(long.Parse(next) > long.Parse(taskId));
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync();
        }
    }

    [Theory]
    [InlineData("http://0.0.0.0:{0}", "not a loopback address")]
    [InlineData("http://127.0.0.1:{0}", "ApiKeys")]
    public async Task TheProcess_RefusesToStart_OnAPublicAddressOrWithoutAKey(string address, string expected)
    {
        var start = ProcessStart(string.Format(System.Globalization.CultureInfo.InvariantCulture, address, KestrelJobHub.FreePort()), expected == "ApiKeys" ? null : "0123456789abcdef0123");
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(expected, error);
    }

    private ProcessStartInfo ProcessStart(string baseUrl, string? apiKey)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "JobHub.Simulator"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["Simulator__BaseUrl"] = baseUrl;
        start.Environment["Simulator__DataFolder"] = folder;
        start.Environment["Simulator__Settings__QueuedFor"] = "00:00:00.100";
        start.Environment["Simulator__Settings__RunFor"] = "00:00:01";
        if (apiKey is not null)
        {
            start.Environment["Simulator__ApiKeys__0"] = apiKey;
        }

        return start;
    }

    private async Task<Process> StartProcessAsync(RunningHubAccount account)
    {
        var process = Process.Start(ProcessStart(account.BaseUrl, account.ApiKey))!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                if ((await http.GetAsync($"{account.BaseUrl}/health")).IsSuccessStatusCode)
                {
                    return process;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        process.Kill();
        throw new TimeoutException($"the simulator process did not answer on {account.BaseUrl} (exit: {(process.HasExited ? process.ExitCode : "running")})");
    }
}
