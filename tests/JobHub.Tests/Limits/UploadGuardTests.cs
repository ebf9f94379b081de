using System.Net;
using System.Net.Http.Json;
using JobHub.Bench.Load;
using JobHub.Core;
using JobHub.Core.Jobs;
using JobHub.Core.Limits;
using JobHub.Core.Storage;
using JobHub.Core.Tools;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Limits;

/// <summary>
/// Uploads are an operator's disk and CPU: the balance and the active job are checked before any file is stored (pages
/// and API), a person's files and bytes in the window are bounded, and image work runs under a bound of its own.
/// </summary>
public sealed class UploadGuardTests
{
    private static MemoryStream Png(int shade = 1) => new(SampleMedia.Png(40, 30, shade));

    /// <summary>Inputs in place (not those still arriving in <see cref="LocalFileStorage.ReceivingFolder"/>).</summary>
    private static int StoredFiles(IServiceProvider services) =>
        Files(services, "inputs").Length - Files(services, LocalFileStorage.ReceivingFolder).Length;

    private static string[] Files(IServiceProvider services, string folder)
    {
        var path = Path.Combine(services.GetRequiredService<IOptions<JobHubOptions>>().Value.StorageRoot!, folder);
        return Directory.Exists(path) ? Directory.GetFiles(path, "*", SearchOption.AllDirectories) : [];
    }

    private static JobRunnerModel Runner(IServiceProvider services, Guid user) =>
        services.GetRequiredService<JobRunnerFactory>().Create(services.GetRequiredService<ToolCatalog>().Find("pose-changer")!, user);

    [Fact]
    public async Task ThePage_WithTooFewCredits_OrAnActiveJob_StoresNoFile()
    {
        await using var h = await EngineHarness.CreateAsync(configure: services => services.AddSingleton<JobRunnerFactory>()
            .AddSingleton<JobHub.Web.Realtime.JobNotifications>());
        var poorUser = await h.CreateUserAsync(1);
        var poor = Runner(h.Services, poorUser);
        await poor.InitializeAsync();
        var busyUser = await h.CreateUserAsync(100);
        var busy = Runner(h.Services, busyUser);
        await busy.InitializeAsync(); // the page opened before another tab started a job
        await h.SubmitAsync(busyUser, "virtual-try-on");
        var files = StoredFiles(h.Services);

        var store = h.StoreInput;
        Assert.False(await poor.RunAsync(TestUploads.Pose(store, poorUser), new Dictionary<string, string?>()));
        Assert.Equal("Error_" + SubmitErrors.InsufficientCredits, poor.Error?.Key);
        Assert.False(await busy.RunAsync(TestUploads.Pose(store, busyUser), new Dictionary<string, string?>()));
        Assert.Equal("Error_" + SubmitErrors.ActiveJobExists, busy.Error?.Key);
        Assert.Equal(files, StoredFiles(h.Services));
    }

    [Fact]
    public async Task TheApi_WithAnActiveJob_StoresNoFile()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: new SimulatorSettings { RunFor = TimeSpan.FromMinutes(5) });
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "guard", 100))[0];
        var cookies = new CookieContainer();
        using var http = ApiSession.Create(hub.BaseAddress, cookies);
        Assert.True(await ApiSession.SignInAsync(http, cookies, email, new LoadPlan().Password));
        using var created = await http.PostAsync("api/tools/pose-changer/jobs", PoseForm());
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var files = StoredFiles(hub.Services);

        using var refused = await http.PostAsync("api/tools/virtual-try-on/jobs", TryOnForm());

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(files, StoredFiles(hub.Services));
    }

    [Fact]
    public async Task APersonsUploads_OverTheFileBound_AreRefused_WithNothingStored_AndOthersStillUpload()
    {
        await using var h = await EngineHarness.CreateAsync(new Dictionary<string, string?> { ["JobHub:Uploads:MaxFilesPerUser"] = "3" });
        var (user, other) = (await h.CreateUserAsync(), await h.CreateUserAsync());
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull((await h.StoreInput.HandleAsync(user, "pose-changer", "person", Png(i), "p.png", long.MaxValue, default)).Input);
        }

        var files = StoredFiles(h.Services);
        var refused = await h.StoreInput.HandleAsync(user, "pose-changer", "person", Png(), "p.png", long.MaxValue, default);

        Assert.Equal((null, UploadQuota.TooManyFiles), (refused.Input, refused.ErrorCode));
        Assert.True(refused.RetryAfter > TimeSpan.Zero);
        Assert.Equal(files, StoredFiles(h.Services));
        Assert.NotNull((await h.StoreInput.HandleAsync(other, "pose-changer", "person", Png(), "p.png", long.MaxValue, default)).Input);

        h.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1)); // the window moved on
        Assert.NotNull((await h.StoreInput.HandleAsync(user, "pose-changer", "person", Png(), "p.png", long.MaxValue, default)).Input);
    }

    [Fact]
    public async Task APersonsUploads_OverTheByteBound_AreRefused_WithNothingStored()
    {
        var size = SampleMedia.Png(40, 30, 1).Length;
        await using var h = await EngineHarness.CreateAsync(new Dictionary<string, string?> { ["JobHub:Uploads:MaxBytesPerUser"] = (size * 2 + size / 2).ToString() });
        var user = await h.CreateUserAsync();
        for (var i = 0; i < 2; i++)
        {
            Assert.NotNull((await h.StoreInput.HandleAsync(user, "pose-changer", "person", Png(1), "p.png", long.MaxValue, default)).Input);
        }

        var files = StoredFiles(h.Services);
        var refused = await h.StoreInput.HandleAsync(user, "pose-changer", "person", Png(1), "p.png", long.MaxValue, default);

        Assert.Equal(UploadQuota.TooManyBytes, refused.ErrorCode);
        Assert.Equal(files, StoredFiles(h.Services));
    }

    [Fact]
    public async Task ManyUploadsAtOnce_ByOnePerson_StoreNoMoreThanTheBound()
    {
        await using var h = await EngineHarness.CreateAsync(new Dictionary<string, string?> { ["JobHub:Uploads:MaxFilesPerUser"] = "3" });
        var user = await h.CreateUserAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            Task.Run(() => h.StoreInput.HandleAsync(user, "pose-changer", "person", Png(i), "p.png", long.MaxValue, default))));

        Assert.Equal(3, results.Count(r => r.Input is not null));
        Assert.Equal(3, StoredFiles(h.Services));
        Assert.Equal(3L, await h.Db.ScalarAsync<long>($"SELECT count(*) FROM uploads WHERE user_id = {user}"));
    }

    [Fact]
    public async Task ImageWork_RunsNoMoreThanItsBound_AtOnce()
    {
        await using var h = await EngineHarness.CreateAsync(new Dictionary<string, string?> { ["JobHub:Uploads:ImageWorkers"] = "2" });
        var work = h.Services.GetRequiredService<ImageWork>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var most = 0;
        work.WhileHeld = async () =>
        {
            InterlockedMax(ref most, work.Running);
            await release.Task;
        };

        var uploads = Enumerable.Range(0, 6).Select(i => Task.Run(() => h.StoreInput.HandleAsync("pose-changer", "person", Png(i), "p.png", long.MaxValue, default))).ToList();
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(work.Running == 2)), "two decodes never ran together");
        Assert.Equal(2, work.Running);
        release.SetResult();

        Assert.All(await Task.WhenAll(uploads), r => Assert.NotNull(r.Input));
        Assert.Equal(2, most);
    }

    [Fact]
    public async Task ImageWork_AWaitingUpload_StopsWhenItsRequestIsCancelled_AndStoresNothing()
    {
        await using var h = await EngineHarness.CreateAsync(new Dictionary<string, string?> { ["JobHub:Uploads:ImageWorkers"] = "1" });
        var work = h.Services.GetRequiredService<ImageWork>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        work.WhileHeld = () => release.Task;
        var holding = Task.Run(() => h.StoreInput.HandleAsync("pose-changer", "person", Png(1), "p.png", long.MaxValue, default));
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(work.Running == 1)));

        using var cancelled = new CancellationTokenSource();
        var waiting = h.StoreInput.HandleAsync("pose-changer", "person", Png(2), "p.png", long.MaxValue, cancelled.Token);
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, StoredFiles(h.Services));
        Assert.Single(Files(h.Services, LocalFileStorage.ReceivingFolder)); // the one still waiting its turn; the cancelled one's is gone
        release.SetResult();
        Assert.NotNull((await holding).Input);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static MultipartFormDataContent PoseForm() => Form(("person", 1), ("pose", 2));

    private static MultipartFormDataContent TryOnForm() => Form(("person", 1), ("clothing", 3));

    private static MultipartFormDataContent Form(params (string Key, int Shade)[] files)
    {
        var content = new MultipartFormDataContent();
        foreach (var (key, shade) in files)
        {
            var file = new ByteArrayContent(SampleMedia.Png(40, 30, shade));
            file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
            content.Add(file, key, $"{key}.png");
        }

        return content;
    }
}
