using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using JobHub.Bench.Load;
using JobHub.Core;
using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Storage;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Storage;

/// <summary>
/// JobHub on one S3 bucket (the suite's s3rver): two instances with their own settings and no disk in common store, launch,
/// serve and delete each other's files through JobHub's authorization; the retention sweep empties the bucket; with the
/// store down an upload is refused clearly, nothing recorded.
/// </summary>
public sealed partial class S3StorageEndToEndTests
{
    private static readonly SimulatorSettings Quick = new() { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMilliseconds(500) };

    private sealed record Session(HttpClient Http, string Token) : IDisposable
    {
        public void Dispose() => Http.Dispose();
    }

    /// <summary>Signed in through the sign-in form on <paramref name="baseAddress"/>, with a tool page's anti-forgery token.</summary>
    private static async Task<Session> SignInAsync(Uri baseAddress, string email)
    {
        var cookies = new CookieContainer();
        var http = ApiSession.Create(baseAddress, cookies);
        Assert.True(await ApiSession.SignInAsync(http, cookies, email, new LoadPlan().Password));
        var token = AntiforgeryField().Match(await http.GetStringAsync("tools/image-upscaler"));
        Assert.True(token.Success, "the tool page carries no anti-forgery token");
        return new Session(http, WebUtility.HtmlDecode(token.Groups[1].Value));
    }

    private static HttpRequestMessage Upload(Session session, byte[] png)
    {
        var content = new ByteArrayContent(png);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        var request = new HttpRequestMessage(HttpMethod.Post, UploadEndpoints.For("image-upscaler", "image") + "?name=photo.png") { Content = content };
        request.Headers.Add(UploadEndpoints.TokenHeader, session.Token);
        return request;
    }

    private static string[] LocalFiles(IServiceProvider services)
    {
        var root = services.GetRequiredService<IOptions<JobHubOptions>>().Value.StorageRoot!;
        return Directory.Exists(root) ? Directory.GetFiles(root, "*", SearchOption.AllDirectories) : [];
    }

    [Fact]
    public async Task AnInputOneInstanceStored_IsLaunchedByAnother_ItsResultServedAndDeletedAcrossThem()
    {
        var prefix = TestS3.NewPrefix();
        try
        {
            await using var first = await LiveJobHub.StartAsync(TestS3.Settings(prefix), Quick);
            var secondSettings = TestS3.Settings(prefix);
            secondSettings["JobHub:Maintenance:Enabled"] = "false";
            await using var second = await KestrelJobHub.StartAsync(first.ConnectionString, secondSettings, first.RunningHub);
            var email = (await LoadDriver.CreateUsersAsync(first.Db, new LoadPlan { Users = 2 }, "s3", credits: 100)).ToArray();
            using var onFirst = await SignInAsync(first.BaseAddress, email[0]);
            using var onSecond = await SignInAsync(second.BaseAddress, email[0]);
            using var stranger = await SignInAsync(second.BaseAddress, email[1]);

            // The upload, on the first instance.
            var png = SampleMedia.Png(64, 48, 5);
            using var uploaded = await onFirst.Http.SendAsync(Upload(onFirst, png));
            Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
            var uploadId = (await uploaded.Content.ReadFromJsonAsync<UploadAnswer>(System.Text.Json.JsonSerializerOptions.Web))!.UploadId!.Value;

            // The job, submitted and launched by the second: it reads the input from the bucket to send it to RunningHub.
            var form = new MultipartFormDataContent { { new StringContent(uploadId.ToString()), "image" }, { new StringContent("pro"), "version" } };
            using var submitted = await onSecond.Http.PostAsync("api/tools/image-upscaler/jobs", form);
            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
            var jobId = (await submitted.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(System.Text.Json.JsonSerializerOptions.Web))!.Id;
            var job = await first.WaitForJobAsync(jobId, j => j.OutputsCopiedAt is not null, TimeSpan.FromSeconds(30));
            Assert.NotNull(job.OutputsCopiedAt);
            var task = first.Simulator.Tasks.Single(t => t.TaskId == job.TaskId);
            Assert.Equal(png, task.Nodes.Select(n => first.Simulator.File(n.FieldValue)).Single(f => f is not null));

            // The result, copied into the bucket by the instance that got the webhook, served by the first one.
            var result = job.OutputFiles.Single().StoredName!;
            byte[] stored;
            await using (var read = await second.Services.GetRequiredService<IFileStorage>().OpenReadAsync(result))
            {
                using var copy = new MemoryStream();
                await read.CopyToAsync(copy);
                stored = copy.ToArray();
            }

            using (var served = await onFirst.Http.GetAsync($"files/jobs/{jobId}/outputs/0"))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
                Assert.Equal(stored, await served.Content.ReadAsByteArrayAsync());
            }

            using var ranged = new HttpRequestMessage(HttpMethod.Get, $"files/jobs/{jobId}/outputs/0");
            ranged.Headers.Range = new RangeHeaderValue(100, 163);
            using (var part = await onFirst.Http.SendAsync(ranged))
            {
                Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
                Assert.Equal(stored.AsSpan(100, 64).ToArray(), await part.Content.ReadAsByteArrayAsync());
            }

            using (var thumbnail = await onFirst.Http.GetAsync($"files/jobs/{jobId}/thumbs/0"))
            {
                Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
                Assert.Equal(ResultThumbnails.MediaType, thumbnail.Content.Headers.ContentType?.MediaType);
            }

            Assert.True(await second.Services.GetRequiredService<IFileStorage>().ExistsAsync(ResultThumbnails.NameFor(result)!));

            // Only its owner gets it: not a stranger, not an anonymous request.
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.Http.GetAsync($"files/jobs/{jobId}/outputs/0")).StatusCode);
            using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = second.BaseAddress };
            using (var refused = await anonymous.GetAsync($"files/jobs/{jobId}/outputs/0"))
            {
                Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
                Assert.NotEqual(stored, await refused.Content.ReadAsByteArrayAsync());
            }

            // Nothing on either instance's disk: every file is in the bucket.
            Assert.Empty(LocalFiles(first.Services));
            Assert.Empty(LocalFiles(second.Services));
            Assert.Equal(3, (await TestS3.KeysAsync(prefix)).Count); // the input, the result and its thumbnail

            // The account deleted through the second instance: its files leave the bucket.
            var userId = await first.ScalarAsync<Guid>($"SELECT id FROM users WHERE email = {email[0]}");
            var deleted = await second.Services.GetRequiredService<DeleteAccount>().HandleAsync(new DeleteAccountRequest(userId, new LoadPlan().Password));
            Assert.True(deleted.Succeeded, deleted.ErrorCode);
            Assert.Equal(3, deleted.FilesDeleted);
            Assert.Empty(await TestS3.KeysAsync(prefix));
            Assert.False(await first.Services.GetRequiredService<IFileStorage>().ExistsAsync(result));
        }
        finally
        {
            await TestS3.ClearAsync(prefix);
        }
    }

    [Fact]
    public async Task WithTheStoreDown_AnUploadIsRefusedClearly_AndNothingIsRecorded()
    {
        var settings = TestS3.Settings(TestS3.NewPrefix(), serviceUrl: $"http://127.0.0.1:{KestrelJobHub.FreePort()}");
        await using var hub = await LiveJobHub.StartAsync(settings, Quick);
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "s3down", credits: 100))[0];
        using var session = await SignInAsync(hub.BaseAddress, email);

        using var response = await session.Http.SendAsync(Upload(session, SampleMedia.Png(64, 48, 5)));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var answer = (await response.Content.ReadFromJsonAsync<UploadAnswer>(System.Text.Json.JsonSerializerOptions.Web))!;
        Assert.Null(answer.UploadId);
        Assert.Equal(StorageUnavailableException.Code, answer.Code);
        Assert.Equal(0, await hub.ScalarAsync<long>($"SELECT count(*) FROM uploads"));
        Assert.Empty(LocalFiles(hub.Services));
        // The tool page words it in its language.
        var input = hub.Services.GetRequiredService<Core.Tools.ToolCatalog>().Find("image-upscaler")!.Inputs.Single();
        Assert.Equal("Error_" + StorageUnavailableException.Code, RunnerMessage.ForUpload(input, answer).Key);

        // The jobs API says the same, and makes no job.
        var form = new MultipartFormDataContent { { new ByteArrayContent(SampleMedia.Png(64, 48, 5)), "image", "photo.png" }, { new StringContent("pro"), "version" } };
        using var submitted = await session.Http.PostAsync("api/tools/image-upscaler/jobs", form);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, submitted.StatusCode);
        Assert.Equal(StorageUnavailableException.Code, (await ApiProblem.ReadAsync(submitted)).Code);
        Assert.Equal(0, await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
        Assert.Equal(100, await hub.ScalarAsync<int>($"SELECT credit_balance FROM users WHERE email = {email}"));
    }

    [Fact]
    public async Task TheRetentionSweep_EmptiesTheBucketOfAnOldJobsFiles_AndOfAnUploadNobodyUsed()
    {
        var prefix = TestS3.NewPrefix();
        try
        {
            await using var h = await EngineHarness.CreateAsync(TestS3.Settings(prefix));
            var job = await h.RunningJobAsync();
            await h.Cancel.HandleAsync(new CancelJobRequest(job.Id, job.UserId, JobCause.User, JobErrorCodes.CancelledByUser, "cancelled by the test"));
            var unused = await h.StoreInput.HandleAsync("image-upscaler", "image", new MemoryStream(SampleMedia.Png(16, 12)), "x.png", long.MaxValue, default);
            Assert.NotNull(unused.Input);
            Assert.Equal(job.InputFiles.Count + 1, (await TestS3.KeysAsync(prefix)).Count);
            var maintenance = h.Services.GetRequiredService<IOptions<Core.Maintenance.MaintenanceOptions>>().Value;
            h.Clock.Advance(maintenance.FilesRetention + maintenance.UnusedInputsAfter + TimeSpan.FromMinutes(1));

            var retention = h.Services.GetServices<Core.Maintenance.IMaintenanceTask>().Single(t => t.Key == Core.Maintenance.MaintenanceTaskKeys.Retention);
            var counts = await retention.RunAsync(CancellationToken.None);

            Assert.Equal((1, job.InputFiles.Count, 1), (counts["jobs_cleared"], counts["files_deleted"], counts["unused_uploads_deleted"]));
            Assert.Empty(await TestS3.KeysAsync(prefix));
        }
        finally
        {
            await TestS3.ClearAsync(prefix);
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
