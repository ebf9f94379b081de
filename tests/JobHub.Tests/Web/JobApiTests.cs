using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using JobHub.Bench.Load;
using JobHub.Core.Jobs;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Web;

/// <summary>
/// The jobs API (what scripts and the load driver use) on real Kestrel with the simulator: the whole flow, the rules
/// it shares with the pages (one active job, credits, owner only), and every kind of bad request refused with a clear
/// code while nothing changes.
/// </summary>
public sealed class JobApiTests
{
    private static readonly SimulatorSettings Quick = new() { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMilliseconds(500) };

    private sealed record Session(HttpClient Http, CookieContainer Cookies) : IDisposable
    {
        public void Dispose() => Http.Dispose();
    }

    private static async Task<Session> SignedInAsync(LiveJobHub hub, int credits = 100)
    {
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "api", credits))[0];
        var cookies = new CookieContainer();
        var http = ApiSession.Create(hub.BaseAddress, cookies);
        Assert.True(await ApiSession.SignInAsync(http, cookies, email, new LoadPlan().Password));
        return new Session(http, cookies);
    }

    private static MultipartFormDataContent Image(string key = "image", byte[]? bytes = null, string type = "image/png", params (string Key, string Value)[] fields)
    {
        var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes ?? SampleMedia.Png(64, 48));
        file.Headers.ContentType = new MediaTypeHeaderValue(type);
        content.Add(file, key, "photo.png");
        foreach (var (name, value) in fields)
        {
            content.Add(new StringContent(value), name);
        }

        return content;
    }

    private static async Task<JobApiEndpoints.JobView> ReadJobAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(System.Text.Json.JsonSerializerOptions.Web))!;

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response) => (await ApiProblem.ReadAsync(response)).Code;

    [Fact]
    public async Task Submit_Follow_AndDownloadTheResult()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Quick);
        using var session = await SignedInAsync(hub);

        using var submitted = await session.Http.PostAsync("api/tools/image-upscaler/jobs", Image(fields: ("version", "pro")));
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var job = await ReadJobAsync(submitted);
        Assert.Equal("image-upscaler", job.Tool);
        Assert.Equal(4, job.CreditCost);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (job.Status != JobStatus.Completed || job.Outputs.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the job stayed {job.Status}");
            await Task.Delay(100);
            job = await ReadJobAsync(await session.Http.GetAsync($"api/jobs/{job.Id}"));
        }

        using var file = await session.Http.GetAsync(job.Outputs[0]);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NoContent, (await session.Http.GetAsync("api/jobs/active")).StatusCode);
    }

    [Fact]
    public async Task RunAgain_MakesANewJobFromTheEndedOne_AndRefusesAnothersJob_AnActiveOne_OrRemovedFiles()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Quick with { RunFor = TimeSpan.FromSeconds(3) });
        using var session = await SignedInAsync(hub);
        using var stranger = await SignedInAsync(hub);
        var first = await ReadJobAsync(await session.Http.PostAsync("api/tools/image-upscaler/jobs", Image(fields: ("version", "pro"))));

        Assert.Equal(HttpStatusCode.NotFound, (await session.Http.PostAsync($"api/jobs/{first.Id}/run-again", null)).StatusCode); // still active
        Assert.True(await hub.WaitUntilAsync(async () => await hub.ScalarAsync<string>($"SELECT status FROM jobs WHERE id = {first.Id}") == JobStatus.Completed,
            TimeSpan.FromSeconds(30)));
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Http.PostAsync($"api/jobs/{first.Id}/run-again", null)).StatusCode);

        using var again = await session.Http.PostAsync($"api/jobs/{first.Id}/run-again", null);

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        var second = await ReadJobAsync(again);
        Assert.Equal($"/api/jobs/{second.Id}", again.Headers.Location?.OriginalString);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal((first.Tool, first.CreditCost), (second.Tool, second.CreditCost));
        Assert.Equal(100 - 2 * first.CreditCost, await hub.ScalarAsync<int>($"SELECT credit_balance FROM users WHERE id = (SELECT user_id FROM jobs WHERE id = {first.Id})"));
        await session.Http.PostAsync($"api/jobs/{second.Id}/cancel", null);
        await hub.Db.ExecuteAsync($"UPDATE jobs SET files_deleted_at = now() WHERE id = {first.Id}");
        using var gone = await session.Http.PostAsync($"api/jobs/{first.Id}/run-again", null);
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal(RunAgainErrors.InputsGone, await ErrorCodeAsync(gone));
        Assert.Equal(2, await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task NotSignedIn_Is401_NeverARedirect()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Quick);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = hub.BaseAddress };
        http.DefaultRequestHeaders.Add(JobApiEndpoints.ClientHeader, "test");

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/jobs/active")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("api/tools/image-upscaler/jobs", Image())).StatusCode);
        Assert.Equal(0, await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task ASecondJobWhileOneIsActive_Is409_AndChargedOnce()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Quick with { RunFor = TimeSpan.FromMinutes(5) });
        using var session = await SignedInAsync(hub);

        var first = await session.Http.PostAsync("api/tools/image-upscaler/jobs", Image());
        var second = await session.Http.PostAsync("api/tools/pose-changer/jobs", Image("person", fields: []));
        using var third = await session.Http.PostAsync("api/tools/image-upscaler/jobs", Image());

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode); // the pose is missing: refused before R4 is even asked
        Assert.Equal(HttpStatusCode.Conflict, third.StatusCode);
        Assert.Equal(SubmitErrors.ActiveJobExists, await ErrorCodeAsync(third));
        Assert.Equal(1, await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
        Assert.Equal(98, await hub.ScalarAsync<int>($"SELECT credit_balance FROM users WHERE email LIKE 'api-%'"));
        Assert.Equal((await ReadJobAsync(first)).Id, (await ReadJobAsync(await session.Http.GetAsync("api/jobs/active"))).Id);
    }

    [Fact]
    public async Task AQueuedJob_KeepsItsPlaceWithHeartbeats_AndCancellingRefundsOnce()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:MaxConcurrent"] = "1" },
            Quick with { RunFor = TimeSpan.FromMinutes(5) });
        using var first = await SignedInAsync(hub);
        using var second = await SignedInAsync(hub);
        Assert.Equal(HttpStatusCode.Created, (await first.Http.PostAsync("api/tools/image-upscaler/jobs", Image())).StatusCode);
        var queued = await ReadJobAsync(await second.Http.PostAsync("api/tools/image-upscaler/jobs", Image()));
        Assert.Equal(JobStatus.Queued, queued.Status);
        Assert.Equal(1, queued.QueuePosition);

        var before = (await hub.GetJobAsync(queued.Id)).LastHeartbeatAt;
        await Task.Delay(20);
        Assert.Equal(HttpStatusCode.NoContent, (await second.Http.PostAsync($"api/jobs/{queued.Id}/heartbeat", null)).StatusCode);
        Assert.True((await hub.GetJobAsync(queued.Id)).LastHeartbeatAt > (before ?? DateTime.MinValue));

        using var cancelled = await second.Http.PostAsync($"api/jobs/{queued.Id}/cancel", null);
        Assert.Equal(JobStatus.Cancelled, (await ReadJobAsync(cancelled)).Status);
        using var again = await second.Http.PostAsync($"api/jobs/{queued.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("NOT_ACTIVE", await ErrorCodeAsync(again));
        using var late = await second.Http.PostAsync($"api/jobs/{queued.Id}/heartbeat", null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("NOT_QUEUED", await ErrorCodeAsync(late));
        Assert.Equal(1, await hub.ScalarAsync<long>($"SELECT count(*) FROM credit_ledger WHERE job_id = {queued.Id} AND kind = 'refund'"));
    }

    [Fact]
    public async Task AnotherUsersJob_Is404_ForEveryAction_AndIsLeftAlone()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:MaxConcurrent"] = "1" },
            Quick with { RunFor = TimeSpan.FromMinutes(5) });
        using var owner = await SignedInAsync(hub);
        using var other = await SignedInAsync(hub);
        var running = await ReadJobAsync(await owner.Http.PostAsync("api/tools/image-upscaler/jobs", Image()));
        using var third = await SignedInAsync(hub);
        var queued = await ReadJobAsync(await third.Http.PostAsync("api/tools/image-upscaler/jobs", Image()));
        var snapshot = await SnapshotAsync(hub);

        foreach (var id in new[] { running.Id, queued.Id, Guid.NewGuid() })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync($"api/jobs/{id}")).StatusCode);
            foreach (var action in new[] { "heartbeat", "check", "cancel" })
            {
                using var response = await other.Http.PostAsync($"api/jobs/{id}/{action}", null);
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{action} on {id}: {(int)response.StatusCode}");
                Assert.Equal("JOB_NOT_FOUND", await ErrorCodeAsync(response));
            }
        }

        Assert.Equal(HttpStatusCode.NotFound, (await other.Http.GetAsync("api/jobs/not-a-guid")).StatusCode);
        Assert.Equal(snapshot, await SnapshotAsync(hub));
    }

    [Fact]
    public async Task BadRequests_AreRefusedWithTheirCode_AndChangeNothing()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Quick);
        using var session = await SignedInAsync(hub);
        using var poor = await SignedInAsync(hub, credits: 1);
        // The same signed-in person from another site's form: the cookie, but not the API's header.
        using var bare = new Session(new HttpClient(new SocketsHttpHandler { CookieContainer = session.Cookies, AllowAutoRedirect = false })
            { BaseAddress = hub.BaseAddress }, session.Cookies);
        var tooLarge = new byte[31 * 1024 * 1024];
        var cases = new (string Name, Session Who, Func<HttpRequestMessage> Request, HttpStatusCode Status, string? Code)[]
        {
            ("no client header", bare, () => Post("api/tools/image-upscaler/jobs", Image()), HttpStatusCode.BadRequest, "CLIENT_HEADER_MISSING"),
            ("unknown tool", session, () => Post("api/tools/face-swap/jobs", Image()), HttpStatusCode.NotFound, SubmitErrors.ToolUnknown),
            ("JSON instead of a form", session, () => Post("api/tools/image-upscaler/jobs", new StringContent("{\"image\":\"x\"}", Encoding.UTF8, "application/json")), HttpStatusCode.UnsupportedMediaType, SubmitErrors.InputInvalid),
            ("url-encoded form", session, () => Post("api/tools/image-upscaler/jobs", new FormUrlEncodedContent([new("version", "pro")])), HttpStatusCode.UnsupportedMediaType, SubmitErrors.InputInvalid),
            ("input missing", session, () => Post("api/tools/pose-changer/jobs", Image("person")), HttpStatusCode.BadRequest, "INPUT_MISSING"),
            ("empty file", session, () => Post("api/tools/image-upscaler/jobs", Image(bytes: [])), HttpStatusCode.BadRequest, "INPUT_EMPTY"),
            ("input the tool does not have", session, () => Post("api/tools/image-upscaler/jobs", WithExtra(Image(), "mask")), HttpStatusCode.BadRequest, SubmitErrors.InputInvalid),
            ("the same input twice", session, () => Post("api/tools/image-upscaler/jobs", WithExtra(Image(), "image")), HttpStatusCode.BadRequest, SubmitErrors.InputInvalid),
            ("text named .png", session, () => Post("api/tools/image-upscaler/jobs", Image(bytes: Encoding.UTF8.GetBytes("not an image at all"))), HttpStatusCode.BadRequest, null),
            ("video as an image", session, () => Post("api/tools/image-upscaler/jobs", Image(bytes: SampleMedia.Mp4(320, 240, 2))), HttpStatusCode.BadRequest, null),
            ("unknown parameter", session, () => Post("api/tools/image-upscaler/jobs", Image(fields: ("speed", "fast"))), HttpStatusCode.BadRequest, SubmitErrors.ParameterInvalid),
            ("parameter value not allowed", session, () => Post("api/tools/image-upscaler/jobs", Image(fields: ("version", "ultra"))), HttpStatusCode.BadRequest, SubmitErrors.ParameterInvalid),
            ("number out of range", session, () => Post("api/tools/image-upscaler/jobs", Image(fields: [("version", "pro"), ("detail", "7")])), HttpStatusCode.BadRequest, SubmitErrors.ParameterInvalid),
            ("number that is not one", session, () => Post("api/tools/image-upscaler/jobs", Image(fields: [("version", "pro"), ("detail", "lots")])), HttpStatusCode.BadRequest, SubmitErrors.ParameterInvalid),
            ("a parameter sent twice", session, () => Post("api/tools/image-upscaler/jobs", Image(fields: [("version", "pro"), ("version", "pro")])), HttpStatusCode.BadRequest, SubmitErrors.ParameterInvalid),
            ("a field over 64 KB", session, () => Post("api/tools/image-upscaler/jobs", Image(fields: ("prompt", new string('a', 65 * 1024)))), HttpStatusCode.BadRequest, SubmitErrors.InputInvalid),
            ("an upload id that is not one", session, () => Post("api/tools/pose-changer/jobs", WithField(Image("person"), "pose", "not-an-id")), HttpStatusCode.BadRequest, SubmitErrors.InputInvalid),
            ("an upload id nobody stored", session, () => Post("api/tools/pose-changer/jobs", WithField(Image("person"), "pose", Guid.NewGuid().ToString())), HttpStatusCode.BadRequest, SubmitErrors.UploadUnknown),
            ("parameter the app does not take", session, () => Post("api/tools/image-upscaler/jobs", Image(fields: [("category", "old_photo"), ("detail", "0.5")])), HttpStatusCode.BadRequest, SubmitErrors.ParameterInvalid),
            ("larger than the tool accepts", session, () => Expecting100(Post("api/tools/image-upscaler/jobs", Image(bytes: tooLarge))), HttpStatusCode.RequestEntityTooLarge, "INPUT_TOO_LARGE"),
            ("too few credits", poor, () => Post("api/tools/image-upscaler/jobs", Image()), HttpStatusCode.PaymentRequired, SubmitErrors.InsufficientCredits),
            ("cancel without the header", bare, () => Post($"api/jobs/{Guid.NewGuid()}/cancel", null), HttpStatusCode.BadRequest, "CLIENT_HEADER_MISSING"),
        };
        var snapshot = await SnapshotAsync(hub);
        var storage = Path.Combine(hub.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Core.JobHubOptions>>().Value.StorageRoot!, "inputs");
        var storedBefore = Directory.Exists(storage) ? Directory.EnumerateFiles(storage, "*", SearchOption.AllDirectories).Count() : 0;

        foreach (var (name, who, request, status, code) in cases)
        {
            using var response = await who.Http.SendAsync(request());
            Assert.True(status == response.StatusCode, $"{name}: expected {(int)status}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var problem = await ApiProblem.ReadAsync(response);
            Assert.False(string.IsNullOrWhiteSpace(problem.Detail), $"{name}: no detail");
            Assert.False(string.IsNullOrWhiteSpace(problem.Title), $"{name}: no title");
            Assert.Equal((int)status, problem.Status);
            Assert.False(string.IsNullOrWhiteSpace(problem.Code), $"{name}: no code");
            if (code is not null)
            {
                Assert.True(code == problem.Code, $"{name}: expected {code}, got {problem.Code}");
            }
        }

        Assert.Equal(snapshot, await SnapshotAsync(hub));
        var storedAfter = Directory.Exists(storage) ? Directory.EnumerateFiles(storage, "*", SearchOption.AllDirectories).Count() : 0;
        Assert.Equal(storedBefore, storedAfter); // nothing refused left a stored input behind
    }

    private static HttpRequestMessage Post(string path, HttpContent? content) => new(HttpMethod.Post, path) { Content = content };

    /// <summary>Asks before sending the body, as a careful client does: the refusal comes before 31 MB are sent for nothing.</summary>
    private static HttpRequestMessage Expecting100(HttpRequestMessage request)
    {
        request.Headers.ExpectContinue = true;
        return request;
    }

    private static MultipartFormDataContent WithField(MultipartFormDataContent content, string key, string value)
    {
        content.Add(new StringContent(value), key);
        return content;
    }

    private static MultipartFormDataContent WithExtra(MultipartFormDataContent content, string key)
    {
        var file = new ByteArrayContent(SampleMedia.Png(20, 20));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        content.Add(file, key, "extra.png");
        return content;
    }

    private static async Task<string> SnapshotAsync(LiveJobHub hub) =>
        string.Join("\n", await hub.QueryAsync<string>($"""
            SELECT concat_ws('|', id, status, updated_at, last_heartbeat_at, error_code) FROM jobs
            UNION ALL SELECT concat_ws('|', id, credit_balance) FROM users
            UNION ALL SELECT concat_ws('|', 'ledger', count(*)) FROM credit_ledger
            ORDER BY 1
            """));
}
