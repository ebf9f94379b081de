using System.Net;
using System.Net.Http.Json;
using JobHub.Bench.Load;
using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using Microsoft.Playwright;
using Npgsql;

namespace JobHub.Tests.Web;

/// <summary>
/// A JobHub process stopped with SIGTERM, as a deployment stops it (docs/operations.md): it is not ready from the first
/// moment, finishes the launch under way, leaves Hangfire's list of servers, ends with 0, and its open pages carry on,
/// with what they showed and what was given in them, on the instance started after it.
/// </summary>
public sealed class DrainProcessTests : IAsyncLifetime
{
    private readonly string storage = Path.Combine(Path.GetTempPath(), "jobhub-tests", Guid.NewGuid().ToString("N"));
    private string database = "";
    private string connectionString = "";
    private NpgsqlDataSource data = null!;
    private SimulatorHost simulator = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync();
        connectionString = TestDatabase.ConnectionStringFor(database);
        data = JobHub.Core.Persistence.Database.CreateDataSource(connectionString);
        simulator = await SimulatorHost.StartAsync(new SimulatorSettings { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMinutes(10) });
    }

    public async Task DisposeAsync()
    {
        await simulator.DisposeAsync();
        await data.DisposeAsync();
        await TestDatabase.DropAsync(database);
        if (Directory.Exists(storage))
        {
            Directory.Delete(storage, recursive: true);
        }
    }

    private readonly string log = Path.Combine(Browser.ScreenshotFolder, $"drain-{Guid.NewGuid():N}.log");

    private string Log => log;

    private Task<Bench.Load.JobHubProcess> StartAsync(int? port = null)
    {
        Directory.CreateDirectory(storage);
        return JobHubProcesses.StartAsync(connectionString, simulator, storage, Log, port, new Dictionary<string, string?> { ["JobHub:MaxConcurrent"] = "1" });
    }

    private string Output => File.Exists(Log) ? File.ReadAllText(Log) : "";

    /// <summary>A person with 100 credits, signed in to the API.</summary>
    private sealed record Person(HttpClient Http, string Email) : IDisposable
    {
        public void Dispose() => Http.Dispose();
    }

    private async Task<Person> SignedInAsync(Uri baseAddress)
    {
        var email = (await LoadDriver.CreateUsersAsync(data.Contexts(), new LoadPlan { Users = 1 }, "drain", 100))[0];
        var cookies = new CookieContainer();
        var http = ApiSession.Create(baseAddress, cookies);
        Assert.True(await ApiSession.SignInAsync(http, cookies, email, new LoadPlan().Password));
        return new Person(http, email);
    }

    private static MultipartFormDataContent Image()
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(SampleMedia.Png(64, 48));
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        content.Add(file, "image", "photo.png");
        return content;
    }

    private static async Task<JobApiEndpoints.JobView> SubmitAsync(HttpClient http)
    {
        using var submitted = await http.PostAsync("api/tools/image-upscaler/jobs", Image());
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        return (await submitted.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(System.Text.Json.JsonSerializerOptions.Web))!;
    }

    private Task<long> HangfireServersOfAsync(int pid) =>
        data.ScalarAsync<long>($"SELECT count(*) FROM hangfire.server WHERE id LIKE {"%:" + pid + ":%"} OR id LIKE {"%:" + pid}");

    [Fact]
    public async Task Sigterm_IsNotReadyAtOnce_FinishesTheLaunchUnderWay_AndLeavesHangfireCleanly()
    {
        await using var jobhub = await StartAsync();
        using var person = await SignedInAsync(jobhub.BaseAddress);
        var pid = jobhub.Pid!.Value;
        Assert.True(await EngineHarness.WaitUntilAsync(async () => await HangfireServersOfAsync(pid) == 2), Output);
        // Every RunningHub answer takes 3 s: the launch (an upload, then the start) is under way when the signal comes.
        simulator.State.Settings = simulator.State.Settings with { ResponseLatency = TimeSpan.FromSeconds(3) };
        var job = await SubmitAsync(person.Http);
        Assert.Equal(JobStatus.Starting, job.Status);

        var exiting = jobhub.TerminateAsync(TimeSpan.FromSeconds(60));
        using var probe = new HttpClient { BaseAddress = jobhub.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var notReady = DateTime.UtcNow;
        while ((await probe.GetAsync("health/ready")).StatusCode != HttpStatusCode.ServiceUnavailable)
        {
            Assert.True(DateTime.UtcNow - notReady < TimeSpan.FromSeconds(1), "still ready a second after SIGTERM:\n" + Output);
            await Task.Delay(20);
        }

        Assert.Equal(0, await exiting);
        Assert.Equal(JobStatus.Running, await data.ScalarAsync<string>($"SELECT status FROM jobs WHERE id = {job.Id}"));
        Assert.NotNull(await data.ScalarAsync<string?>($"SELECT task_id FROM jobs WHERE id = {job.Id}"));
        Assert.Equal(1, simulator.State.StartCalls);
        Assert.Equal(0, await HangfireServersOfAsync(pid));
        Assert.Equal(100 - job.CreditCost, await data.ScalarAsync<int>($"SELECT u.credit_balance FROM users u JOIN jobs j ON j.user_id = u.id WHERE j.id = {job.Id}"));
        Assert.Empty(await JobHubProcesses.CheckInvariantsAsync(connectionString));
    }

    [Fact]
    public async Task Sigterm_MovesTheOpenPages_ToTheNextInstance_WithWhatTheyShowedAndWhatWasChosen()
    {
        await using var first = await StartAsync();
        var port = first.BaseAddress.Port;
        using var runner = await SignedInAsync(first.BaseAddress);
        using var waiter = await SignedInAsync(first.BaseAddress);
        using var chooser = await SignedInAsync(first.BaseAddress);
        var running = await SubmitAsync(runner.Http);
        await EngineHarness.WaitUntilAsync(async () => await data.ScalarAsync<string>($"SELECT status FROM jobs WHERE id = {running.Id}") == JobStatus.Running);
        var queued = await SubmitAsync(waiter.Http);
        Assert.Equal(JobStatus.Queued, queued.Status);

        var browser = await Browser.GetAsync();
        await using var waiting = await browser.NewContextAsync();
        await using var choosing = await browser.NewContextAsync();
        var queue = await BrowserPages.SignedInAsync(waiting, first.BaseAddress, waiter.Email, new LoadPlan().Password);
        var form = await BrowserPages.SignedInAsync(choosing, first.BaseAddress, chooser.Email, new LoadPlan().Password);
        var console = new System.Collections.Concurrent.ConcurrentQueue<string>();
        form.Console += (_, message) => console.Enqueue(message.Text);
        try
        {
            await queue.GotoAsync(new Uri(first.BaseAddress, "tools/image-upscaler").ToString());
            await BrowserPages.WaitForCircuitAsync(queue);
            await Assertions.Expect(queue.Locator($"#job[data-job='{queued.Id}'][data-status='queued']")).ToBeVisibleAsync();
            await form.GotoAsync(new Uri(first.BaseAddress, "tools/image-upscaler").ToString());
            await BrowserPages.WaitForCircuitAsync(form);
            await form.ClickAsync("#param-version [data-value='pro']");
            await Assertions.Expect(form.Locator("#param-version [data-value='pro']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-chip-selected"));
            await form.Locator("#input-image").SetInputFilesAsync(new FilePayload { Name = "kept.png", MimeType = "image/png", Buffer = SampleMedia.Png(320, 240, 3) });
            await Assertions.Expect(form.Locator("#drop-image[data-upload='stored']")).ToBeVisibleAsync();

            await form.EvaluateAsync("() => window.sameDocument = true");
            Assert.Equal(0, await first.TerminateAsync(TimeSpan.FromSeconds(60)));
            await using var next = await StartAsync(port);
            await form.WaitForFunctionAsync("() => !window.jobhub.moving && document.body.dataset.circuit === 'on'", null, new() { Timeout = 30000 });
            Assert.True(await form.EvaluateAsync<bool>("() => window.sameDocument === true")); // resumed, not reloaded

            // The form's page came back with its choice and its stored file: Run submits exactly them, once.
            await Assertions.Expect(form.Locator("#param-version [data-value='pro']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-chip-selected"));
            await Assertions.Expect(form.Locator("#drop-image[data-upload='stored']")).ToBeVisibleAsync();
            await Assertions.Expect(form.Locator("#facts-image")).ToContainTextAsync("320"); // the new circuit's zone took the file
            await form.ClickAsync("#run");
            await Assertions.Expect(form.Locator("#job[data-status='queued']")).ToBeVisibleAsync(new() { Timeout = 20000 });
            var chosen = await data.QueryListAsync<string>($"SELECT parameters->>'version' FROM jobs j JOIN users u ON u.id = j.user_id WHERE u.email = {chooser.Email}");
            Assert.Equal(["pro"], chosen);

            // The waiting page still follows its job: the running one ends, and it is promoted, runs and completes.
            await Assertions.Expect(queue.Locator($"#job[data-job='{queued.Id}'][data-status='queued']")).ToBeVisibleAsync();
            simulator.State.Settings = simulator.State.Settings with { RunFor = TimeSpan.FromMilliseconds(500) };
            await Assertions.Expect(queue.Locator($"#job[data-job='{queued.Id}'][data-status='completed']")).ToBeVisibleAsync(new() { Timeout = 60000 });
            await Assertions.Expect(queue.Locator("#components-reconnect-modal")).Not.ToHaveAttributeAsync("open", "");
            Assert.Empty(await JobHubProcesses.CheckInvariantsAsync(connectionString));
        }
        catch
        {
            await File.WriteAllLinesAsync(Log + ".console", console);
            await queue.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "drain-queue.png"), FullPage = true });
            await form.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "drain-form.png"), FullPage = true });
            throw;
        }
    }
}
