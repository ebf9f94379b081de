using JobHub.Core;
using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using JobHub.Core.Storage;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Jobs;

/// <summary>
/// A person's uploads, stored before any job (R9), received into a file under the storage root and never held whole in
/// memory; a job is created only from uploads of its own user that were stored in full, for the tool and input it names;
/// an upload nobody submits is removed by the unused-inputs sweep.
/// </summary>
public sealed class UploadIdTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private string Root => h.Services.GetRequiredService<IOptions<JobHubOptions>>().Value.StorageRoot!;

    private string[] Files(string folder = "inputs") =>
        Directory.Exists(Path.Combine(Root, folder)) ? Directory.GetFiles(Path.Combine(Root, folder), "*", SearchOption.AllDirectories) : [];

    private async Task<StoreInputResult> UploadAsync(Guid user, string tool, string input, int shade = 1)
    {
        var result = await h.StoreInput.HandleAsync(user, tool, input, new MemoryStream(SampleMedia.Png(40, 30, shade)), $"{input}.png", long.MaxValue, default);
        Assert.NotNull(result.UploadId);
        return result;
    }

    private static SubmitJobRequest WithUploads(Guid user, string tool, params (string Key, Guid Id)[] uploads) =>
        new(user, tool, [], new Dictionary<string, string?>()) { Uploads = uploads.ToDictionary(u => u.Key, u => u.Id) };

    [Fact]
    public async Task AJob_IsCreatedFromItsUsersUploads_WithTheFilesTheyStored()
    {
        var user = await h.CreateUserAsync(10);
        var person = await UploadAsync(user, "pose-changer", "person", 1);
        var pose = await UploadAsync(user, "pose-changer", "pose", 2);

        var result = await h.Submit.HandleAsync(WithUploads(user, "pose-changer", ("person", person.UploadId!.Value), ("pose", pose.UploadId!.Value)));

        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal(new[] { person.Input, pose.Input }, result.Job!.InputFiles.OrderBy(i => i.Key));
        Assert.Equal(10 - 3, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task AnUpload_MakesOneJob_ASecondFromTheSameUploadIsRefused_AndNothingIsCharged()
    {
        var user = await h.CreateUserAsync(10);
        var person = await UploadAsync(user, "pose-changer", "person", 1);
        var pose = await UploadAsync(user, "pose-changer", "pose", 2);
        var request = WithUploads(user, "pose-changer", ("person", person.UploadId!.Value), ("pose", pose.UploadId!.Value));
        var first = await h.Submit.HandleAsync(request);
        await h.Cancel.HandleAsync(new CancelJobRequest(first.Job!.Id, user, JobCause.User, JobErrorCodes.CancelledByUser, "done"));
        var balance = await h.BalanceAsync(user);

        var second = await h.Submit.HandleAsync(request);

        Assert.False(second.Succeeded);
        Assert.Equal(SubmitErrors.UploadUnknown, second.ErrorCode);
        Assert.Equal(1, await h.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE user_id = {user}"));
        Assert.Equal(balance, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task AnUploadThatIsNotTheUsersToUse_IsRefusedAtSubmit_AndNothingIsCreatedOrCharged()
    {
        var (user, other) = (await h.CreateUserAsync(10), await h.CreateUserAsync(10));
        var pose = await UploadAsync(user, "pose-changer", "pose", 2);
        var person = await UploadAsync(user, "pose-changer", "person", 1);
        var someoneElses = await UploadAsync(other, "pose-changer", "person", 3);
        var tryOnPerson = await UploadAsync(user, "virtual-try-on", "person", 4);
        // A file reserved against the bound whose storing never finished (the process stopped in between).
        var (unfinished, _) = await h.Services.GetRequiredService<UploadQuota>().ReserveAsync(user, 100, default);

        var cases = new (string Name, Guid Person)[]
        {
            ("another user's upload", someoneElses.UploadId!.Value),
            ("an upload never stored in full", unfinished!.Value),
            ("the upload of another input", pose.UploadId!.Value),
            ("the upload of another tool's input", tryOnPerson.UploadId!.Value),
            ("an id that never existed", Guid.NewGuid()),
        };
        foreach (var (name, id) in cases)
        {
            var result = await h.Submit.HandleAsync(WithUploads(user, "pose-changer", ("person", id), ("pose", pose.UploadId!.Value)));

            Assert.True(result.ErrorCode == SubmitErrors.UploadUnknown, $"{name}: {result.ErrorCode} {result.ErrorMessage}");
        }

        Assert.Equal(0, await h.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
        Assert.Equal((10, 10), (await h.BalanceAsync(user), await h.BalanceAsync(other)));
        Assert.True((await h.Submit.HandleAsync(WithUploads(user, "pose-changer", ("person", person.UploadId!.Value), ("pose", pose.UploadId!.Value)))).Succeeded);
    }

    [Fact]
    public async Task AnUpload_IsReceivedIntoAFileAndMovedIntoPlace_AndOneRefused_OrTooLarge_LeavesNothingBehind()
    {
        var user = await h.CreateUserAsync(10);
        var input = h.StoreInput.Find("pose-changer", "person")!;

        var stored = await UploadAsync(user, "pose-changer", "person");
        Assert.Equal(SampleMedia.Png(40, 30, 1), await File.ReadAllBytesAsync(Path.Combine(Root, stored.Input!.StoredName)));
        Assert.Empty(Files(LocalFileStorage.ReceivingFolder));

        var notAnImage = await h.StoreInput.HandleAsync(user, "pose-changer", "person", new MemoryStream("<html>hello</html>"u8.ToArray()), "p.png", long.MaxValue, default);
        long read = 0;
        var endless = new ReadCountingStream(new EndlessStream(), total => read = total);
        var tooLarge = await h.StoreInput.HandleAsync(user, "pose-changer", "person", endless, "big.png", long.MaxValue, default);

        Assert.Equal("INPUT_UNREADABLE", notAnImage.ErrorCode);
        Assert.Equal("INPUT_TOO_LARGE", tooLarge.ErrorCode);
        Assert.Equal(input.MaxBytes + 1, read); // refused after one byte past the limit, not read to its end
        Assert.Equal([Path.Combine(Root, stored.Input.StoredName)], Files());
        Assert.Equal(1L, await h.ScalarAsync<long>($"SELECT count(*) FROM uploads WHERE user_id = {user}"));
    }

    [Fact]
    public async Task AnUploadNobodySubmits_AndAFileCutShortWhileArriving_AreRemovedByTheUnusedInputsSweep_AJobsInputsStay()
    {
        var user = await h.CreateUserAsync(10);
        var used = await UploadAsync(user, "pose-changer", "person", 1);
        var pose = await UploadAsync(user, "pose-changer", "pose", 2);
        Assert.True((await h.Submit.HandleAsync(WithUploads(user, "pose-changer", ("person", used.UploadId!.Value), ("pose", pose.UploadId!.Value)))).Succeeded);
        var abandoned = await UploadAsync(user, "pose-changer", "person", 3);
        var cutShort = Path.Combine(Root, LocalFileStorage.ReceivingFolder, "0123456789abcdef0123456789abcdef.part"); // a crash mid-upload
        await File.WriteAllBytesAsync(cutShort, new byte[1000]);
        var sweepAfter = h.Services.GetRequiredService<IOptions<MaintenanceOptions>>().Value.UnusedInputsAfter;
        h.Clock.Advance(sweepAfter + TimeSpan.FromMinutes(1));
        foreach (var file in Files())
        {
            File.SetLastWriteTimeUtc(file, h.Clock.GetUtcNow().UtcDateTime - sweepAfter - TimeSpan.FromSeconds(1));
        }

        var retention = h.Services.GetServices<IMaintenanceTask>().Single(t => t.Key == MaintenanceTaskKeys.Retention);
        var counts = await retention.RunAsync(CancellationToken.None);

        Assert.Equal(2, counts["unused_uploads_deleted"]);
        Assert.Equal(new[] { used.Input!.StoredName, pose.Input!.StoredName }.Select(n => Path.Combine(Root, n)).Order(), Files().Order());
        Assert.False(File.Exists(Path.Combine(Root, abandoned.Input!.StoredName)));
        Assert.False(File.Exists(cutShort));
    }

    /// <summary>A body that never ends (a client sending more than it may).</summary>
    private sealed class EndlessStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)0x55, offset, count);
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
