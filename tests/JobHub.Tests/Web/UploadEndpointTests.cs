using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using JobHub.Bench.Load;
using JobHub.Core;
using JobHub.Core.Jobs;
using JobHub.Core.Storage;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Web;

/// <summary>
/// The upload endpoint on real Kestrel and PostgreSQL: the body is streamed to a file under the storage root as it arrives
/// and stored as sent; it answers only a signed-in person with the page's anti-forgery token; it holds each input to its
/// limits (size, real type), to the active job and the balance, to the person's upload bound and to the rate limit; a
/// refusal leaves nothing on disk; and a job is submitted only with its own user's upload ids.
/// </summary>
public sealed partial class UploadEndpointTests(UploadEndpointTests.SharedHub shared) : IClassFixture<UploadEndpointTests.SharedHub>
{
    /// <summary>One JobHub for the tests that need no settings of their own (each makes its own users).</summary>
    public sealed class SharedHub : IAsyncLifetime
    {
        public LiveJobHub Hub { get; private set; } = null!;

        public async Task InitializeAsync() =>
            Hub = await LiveJobHub.StartAsync(simulator: new SimulatorSettings { RunFor = TimeSpan.FromMinutes(5) });

        public async Task DisposeAsync() => await Hub.DisposeAsync();
    }

    private LiveJobHub Hub => shared.Hub;

    private sealed record Session(HttpClient Http, CookieContainer Cookies, Guid UserId, string Token) : IDisposable
    {
        public void Dispose() => Http.Dispose();
    }

    /// <summary>Signed in through the sign-in form, with the anti-forgery token a tool page carries for this person.</summary>
    private static async Task<Session> SignedInAsync(LiveJobHub hub, int credits = 100)
    {
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "upload", credits))[0];
        var cookies = new CookieContainer();
        var http = ApiSession.Create(hub.BaseAddress, cookies);
        Assert.True(await ApiSession.SignInAsync(http, cookies, email, new LoadPlan().Password));
        var page = await http.GetStringAsync("tools/pose-changer");
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, "the tool page carries no anti-forgery token");
        var user = await hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE email = {email}");
        return new Session(http, cookies, user, WebUtility.HtmlDecode(token.Groups[1].Value));
    }

    private static HttpRequestMessage Upload(string tool, string input, HttpContent body, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"uploads/{tool}/{input}?name=my%20file.png") { Content = body };
        if (token is not null)
        {
            request.Headers.Add(UploadEndpoints.TokenHeader, token);
        }

        return request;
    }

    private static ByteArrayContent Bytes(byte[] bytes, string type = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static async Task<UploadAnswer> AnswerAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<UploadAnswer>(System.Text.Json.JsonSerializerOptions.Web))!;

    private static string[] Files(LiveJobHub hub, string folder = "inputs")
    {
        var path = Path.Combine(hub.Services.GetRequiredService<IOptions<JobHubOptions>>().Value.StorageRoot!, folder);
        return Directory.Exists(path) ? Directory.GetFiles(path, "*", SearchOption.AllDirectories) : [];
    }

    /// <summary>What a refused upload must leave as it was: the files under inputs/ (in place or arriving) and the uploads rows.</summary>
    private static async Task<(int Files, long Rows)> StateAsync(LiveJobHub hub) =>
        (Files(hub).Length, await hub.ScalarAsync<long>($"SELECT count(*) FROM uploads"));

    [Fact]
    public async Task TheBody_IsWrittenToDiskAsItArrives_AndTheStoredFileIsTheBody()
    {
        using var session = await SignedInAsync(Hub);
        var body = new LargeMp4Content(25 * 1024 * 1024, pauseAfter: 16 * 1024 * 1024);

        var sending = session.Http.SendAsync(Upload("video-upscaler", "video", body, session.Token));

        // Half-way through the body (the client waits), most of what was sent is already in a file under the storage root:
        // the server writes as it receives, it does not gather the body in memory first.
        Assert.True(await body.Paused.Task.WaitAsync(TimeSpan.FromSeconds(30)) && await Hub.WaitUntilAsync(() => Task.FromResult(
            Files(Hub, LocalFileStorage.ReceivingFolder).Any(f => new FileInfo(f).Length >= 12 * 1024 * 1024)), TimeSpan.FromSeconds(20)),
            "no file under the storage root grew while the body was arriving");
        body.Resume();
        using var response = await sending;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await AnswerAsync(response)).UploadId!.Value;
        var stored = System.Text.Json.JsonSerializer.Deserialize<StoredInput>(
            await Hub.ScalarAsync<string>($"SELECT input::text FROM uploads WHERE id = {id} AND user_id = {session.UserId}"), JobJson.Options)!;
        var root = Hub.Services.GetRequiredService<IOptions<JobHubOptions>>().Value.StorageRoot!;
        await using (var file = File.OpenRead(Path.Combine(root, stored.StoredName)))
        {
            Assert.Equal(body.Length, file.Length);
            Assert.Equal(body.Sha256, Convert.ToHexString(await SHA256.HashDataAsync(file)));
        }

        Assert.Equal(("video/mp4", "my file.png", body.Length, 320, 240), (stored.MimeType, stored.OriginalName, stored.Bytes, stored.Width, stored.Height));
        Assert.Empty(Files(Hub, LocalFileStorage.ReceivingFolder));
    }

    [Fact]
    public async Task TheJobsApisMultipartForm_IsWrittenToDiskAsItArrives_Too()
    {
        using var session = await SignedInAsync(Hub);
        var video = new LargeMp4Content(25 * 1024 * 1024, pauseAfter: 16 * 1024 * 1024);
        var form = new MultipartFormDataContent { { video, "video", "big.mp4" } };

        var sending = session.Http.PostAsync("api/tools/video-upscaler/jobs", form);

        Assert.True(await video.Paused.Task.WaitAsync(TimeSpan.FromSeconds(30)) && await Hub.WaitUntilAsync(() => Task.FromResult(
            Files(Hub, LocalFileStorage.ReceivingFolder).Any(f => new FileInfo(f).Length >= 12 * 1024 * 1024)), TimeSpan.FromSeconds(20)),
            "no file under the storage root grew while the form was arriving");
        video.Resume();
        using var response = await sending;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var job = await Hub.GetJobAsync((await response.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(System.Text.Json.JsonSerializerOptions.Web))!.Id);
        var root = Hub.Services.GetRequiredService<IOptions<JobHubOptions>>().Value.StorageRoot!;
        await using var file = File.OpenRead(Path.Combine(root, job.InputFiles.Single().StoredName));
        Assert.Equal(video.Sha256, Convert.ToHexString(await SHA256.HashDataAsync(file)));
        Assert.Empty(Files(Hub, LocalFileStorage.ReceivingFolder));
    }

    [Fact]
    public async Task NotSignedIn_Is401_AndNothingIsStored()
    {
        var before = await StateAsync(Hub);
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Hub.BaseAddress };

        using var response = await anonymous.SendAsync(Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), "some-token"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(before, await StateAsync(Hub));
    }

    [Fact]
    public async Task WithoutThePagesAntiforgeryToken_IsRefused_AndNothingIsStored()
    {
        using var session = await SignedInAsync(Hub);
        using var other = await SignedInAsync(Hub);
        var before = await StateAsync(Hub);
        var form = new MultipartFormDataContent { { new StringContent(session.Token), "__RequestVerificationToken" }, { Bytes(SampleMedia.Png(40, 30)), "file", "p.png" } };

        var cases = new (string Name, HttpRequestMessage Request, HttpStatusCode Status, string Code)[]
        {
            ("no token", Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), null), HttpStatusCode.BadRequest, UploadEndpoints.AntiforgeryInvalid),
            ("another person's token", Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), other.Token), HttpStatusCode.BadRequest, UploadEndpoints.AntiforgeryInvalid),
            ("a made-up token", Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), "forged"), HttpStatusCode.BadRequest, UploadEndpoints.AntiforgeryInvalid),
            ("a form post, as another site could send", Upload("pose-changer", "person", form, null), HttpStatusCode.UnsupportedMediaType, SubmitErrors.InputInvalid),
        };
        foreach (var (name, request, status, code) in cases)
        {
            using var response = await session.Http.SendAsync(request);
            Assert.True(status == response.StatusCode, $"{name}: {(int)response.StatusCode}");
            Assert.Equal(code, (await AnswerAsync(response)).Code);
        }

        Assert.Equal(before, await StateAsync(Hub));
        using var accepted = await session.Http.SendAsync(Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), session.Token));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }

    [Fact]
    public async Task ABodyOverTheInputsLimit_Is413_WithNothingLeftOnDisk()
    {
        using var session = await SignedInAsync(Hub);
        var limit = Hub.Services.GetRequiredService<Core.Tools.ToolCatalog>().Find("pose-changer")!.Inputs.Single(i => i.Key == "person").MaxBytes;
        var before = await StateAsync(Hub);

        // Said too large up front: refused before the body is sent (the client asked first).
        var declared = Upload("pose-changer", "person", new LargeMp4Content(limit + 1), session.Token);
        declared.Headers.ExpectContinue = true;
        using var refusedUnread = await session.Http.SendAsync(declared);
        // Sent without a length: refused once one byte past the limit has arrived.
        using var refusedRead = await session.Http.SendAsync(Upload("pose-changer", "person", new LargeMp4Content(limit + 1, chunked: true), session.Token));

        foreach (var response in new[] { refusedUnread, refusedRead })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            var answer = await AnswerAsync(response);
            Assert.Equal(("INPUT_TOO_LARGE", "30"), (answer.Code, answer.Arguments![1]));
        }

        Assert.Equal(before, await StateAsync(Hub));
    }

    [Fact]
    public async Task AnUploadCutShort_TheBrowserClosedHalfWay_LeavesNothingOnDisk()
    {
        using var session = await SignedInAsync(Hub);
        var before = await StateAsync(Hub);
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(Hub.BaseAddress.Host, Hub.BaseAddress.Port);
        var stream = client.GetStream();
        var head = $"POST /uploads/video-upscaler/video HTTP/1.1\r\nHost: {Hub.BaseAddress.Authority}\r\nContent-Type: video/mp4\r\n"
                   + $"Content-Length: {4 * 1024 * 1024}\r\n{UploadEndpoints.TokenHeader}: {session.Token}\r\n"
                   + $"Cookie: {session.Cookies.GetCookieHeader(Hub.BaseAddress)}\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(new byte[1024 * 1024]); // a quarter of what it said, then the browser is gone
        Assert.True(await Hub.WaitUntilAsync(() => Task.FromResult(Files(Hub, LocalFileStorage.ReceivingFolder).Length == 1), TimeSpan.FromSeconds(10)));

        client.Close();

        Assert.True(await Hub.WaitUntilAsync(async () => await StateAsync(Hub) == before, TimeSpan.FromSeconds(10)), "the part received stayed on disk");
    }

    [Fact]
    public async Task AFileThatIsNotWhatItsTypeSays_IsRefusedWithItsReason_AndNothingIsLeft()
    {
        using var session = await SignedInAsync(Hub);
        var before = await StateAsync(Hub);

        using var text = await session.Http.SendAsync(Upload("pose-changer", "person", Bytes("<html>not an image</html>"u8.ToArray()), session.Token));
        using var video = await session.Http.SendAsync(Upload("pose-changer", "person", Bytes(SampleMedia.Mp4(320, 240, 2)), session.Token));
        using var empty = await session.Http.SendAsync(Upload("pose-changer", "person", Bytes([]), session.Token));

        Assert.Equal((HttpStatusCode.BadRequest, "INPUT_UNREADABLE"), (text.StatusCode, (await AnswerAsync(text)).Code));
        var wrongType = await AnswerAsync(video);
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, "INPUT_WRONG_TYPE"), (video.StatusCode, wrongType.Code));
        Assert.Equal(["MP4", "JPEG, PNG, WebP"], wrongType.Arguments!); // for the page to word in its language
        Assert.Equal((HttpStatusCode.BadRequest, "INPUT_EMPTY"), (empty.StatusCode, (await AnswerAsync(empty)).Code));
        Assert.Equal(before, await StateAsync(Hub));
    }

    [Fact]
    public async Task WithAnActiveJob_OrTooFewCreditsForTheTool_NothingIsStored()
    {
        using var busy = await SignedInAsync(Hub);
        await Hub.SubmitAsync(busy.UserId, "virtual-try-on");
        using var poor = await SignedInAsync(Hub, credits: 2); // the pose changer costs 3
        var before = await StateAsync(Hub);

        using var second = await busy.Http.SendAsync(Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), busy.Token));
        using var unpaid = await poor.Http.SendAsync(Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), poor.Token));

        Assert.Equal((HttpStatusCode.Conflict, SubmitErrors.ActiveJobExists), (second.StatusCode, (await AnswerAsync(second)).Code));
        Assert.Equal((HttpStatusCode.PaymentRequired, SubmitErrors.InsufficientCredits), (unpaid.StatusCode, (await AnswerAsync(unpaid)).Code));
        Assert.Equal(before, await StateAsync(Hub));
    }

    [Fact]
    public async Task AJob_IsSubmittedWithItsOwnUsersUploadIds_AnotherUsersAreRefused_AndNothingIsCharged()
    {
        using var owner = await SignedInAsync(Hub);
        using var other = await SignedInAsync(Hub);
        var ids = new Dictionary<string, Guid>();
        foreach (var (input, shade) in new[] { ("person", 1), ("pose", 2) })
        {
            using var uploaded = await owner.Http.SendAsync(Upload("pose-changer", input, Bytes(SampleMedia.Png(40, 30, shade)), owner.Token));
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
            ids[input] = (await AnswerAsync(uploaded)).UploadId!.Value;
        }

        MultipartFormDataContent Form() => new() { { new StringContent(ids["person"].ToString()), "person" }, { new StringContent(ids["pose"].ToString()), "pose" } };
        using var stolen = await other.Http.PostAsync("api/tools/pose-changer/jobs", Form());

        Assert.Equal(HttpStatusCode.BadRequest, stolen.StatusCode);
        Assert.Equal(SubmitErrors.UploadUnknown, (await stolen.Content.ReadFromJsonAsync<JobApiEndpoints.ApiProblem>(System.Text.Json.JsonSerializerOptions.Web))!.Code);
        Assert.Equal(0L, await Hub.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE user_id = {other.UserId}"));
        Assert.Equal(100, await Hub.BalanceAsync(other.UserId));

        using var submitted = await owner.Http.PostAsync("api/tools/pose-changer/jobs", Form());
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var job = await Hub.GetJobAsync((await submitted.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(System.Text.Json.JsonSerializerOptions.Web))!.Id);
        Assert.Equal(SampleMedia.Png(40, 30, 2).Length, job.InputFiles.Single(i => i.Key == "pose").Bytes);
    }

    [Fact]
    public async Task OverTheRateLimit_Is429WithRetryAfter_AndOverTheUploadBound_Too_AndNothingIsStored()
    {
        await using var hub = await LiveJobHub.StartAsync(new Dictionary<string, string?>
        {
            ["JobHub:RateLimits:Upload:PermitLimit"] = "2",
            ["JobHub:RateLimits:Upload:Window"] = "00:10:00",
            ["JobHub:Uploads:MaxFilesPerUser"] = "1",
        });
        using var hasty = await SignedInAsync(hub);
        using var hoarder = await SignedInAsync(hub);
        using var first = await hasty.Http.SendAsync(Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), hasty.Token));
        using var second = await hasty.Http.SendAsync(Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), null)); // refused, yet counted
        using var kept = await hoarder.Http.SendAsync(Upload("pose-changer", "person", Bytes(SampleMedia.Png(40, 30)), hoarder.Token));
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.BadRequest, HttpStatusCode.Created), (first.StatusCode, second.StatusCode, kept.StatusCode));
        var before = await StateAsync(hub);

        using var limited = await hasty.Http.SendAsync(Upload("pose-changer", "pose", Bytes(SampleMedia.Png(40, 30)), hasty.Token));
        using var bounded = await hoarder.Http.SendAsync(Upload("pose-changer", "pose", Bytes(SampleMedia.Png(40, 30)), hoarder.Token));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(JobHub.Web.RateLimiting.RateLimitPolicies.RateLimitedCode, (await AnswerAsync(limited)).Code);
        Assert.Equal(HttpStatusCode.TooManyRequests, bounded.StatusCode);
        Assert.Equal(UploadQuota.TooManyFiles, (await AnswerAsync(bounded)).Code);
        foreach (var response in new[] { limited, bounded })
        {
            Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "no Retry-After in seconds");
        }

        Assert.Equal(before, await StateAsync(hub));
    }

    /// <summary>
    /// A large MP4 made as it is sent (a real header, then a <c>free</c> box of padding), never whole in the test's memory
    /// either: its SHA-256 is computed as it goes. It can stop half-way until the test lets it go on.
    /// </summary>
    internal sealed class LargeMp4Content : HttpContent
    {
        private readonly long pauseAfter;
        private readonly bool chunked;
        private readonly TaskCompletionSource resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public LargeMp4Content(long length, long pauseAfter = long.MaxValue, bool chunked = false)
        {
            Length = length;
            this.pauseAfter = pauseAfter;
            this.chunked = chunked;
            Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
            if (pauseAfter == long.MaxValue)
            {
                resume.SetResult();
            }
        }

        public long Length { get; }

        public TaskCompletionSource<bool> Paused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The body's SHA-256 (hex), once it is all sent.</summary>
        public string Sha256 { get; private set; } = "";

        public void Resume() => resume.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var header = SampleMedia.Mp4(320, 240, 2);
            var box = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(box, (uint)(Length - header.Length));
            "free"u8.CopyTo(box.AsSpan(4));
            await WriteAsync(stream, header.Concat(box).ToArray());
            var chunk = new byte[64 * 1024];
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = (byte)(i * 31);
            }

            var sent = header.Length + 8L;
            while (sent < Length)
            {
                if (sent >= pauseAfter && !resume.Task.IsCompleted)
                {
                    await stream.FlushAsync();
                    Paused.TrySetResult(true);
                    await resume.Task;
                }

                var next = (int)Math.Min(chunk.Length, Length - sent);
                await WriteAsync(stream, chunk.AsMemory(0, next));
                sent += next;
            }

            Sha256 = Convert.ToHexString(hash.GetHashAndReset());
        }

        private async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> bytes)
        {
            hash.AppendData(bytes.Span);
            await stream.WriteAsync(bytes);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = Length;
            return !chunked;
        }

        protected override void Dispose(bool disposing)
        {
            hash.Dispose();
            base.Dispose(disposing);
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
