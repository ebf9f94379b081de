using JobHub.Core;
using JobHub.Core.Storage;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Storage;

/// <summary>
/// What every storage backend promises (<see cref="IFileStorage"/>), run against the local disk and against S3 (the suite's
/// s3rver): streamed writes of unknown length (several parts on S3), reads from any offset, whole-or-nothing writes, received
/// files moved into place or left nowhere, deletions, listings by age, forged names refused, and no half file after a failure.
/// </summary>
public sealed class FileStorageTests : IAsyncLifetime
{
    public static TheoryData<StorageBackend> Backends => new() { StorageBackend.Local, StorageBackend.S3 };

    private readonly string root = Path.Combine(Path.GetTempPath(), "jobhub-tests", Guid.NewGuid().ToString("N"));
    private readonly string prefix = TestS3.NewPrefix();
    private readonly List<IDisposable> opened = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        opened.ForEach(o => o.Dispose());
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        if (Environment.GetEnvironmentVariable("JOBHUB_TEST_S3_URL") is { Length: > 0 })
        {
            await TestS3.ClearAsync(prefix);
        }
    }

    private IFileStorage Create(StorageBackend backend)
    {
        if (backend == StorageBackend.Local)
        {
            return new LocalFileStorage(Options.Create(new JobHubOptions { StorageRoot = root }));
        }

        return Opened(TestS3.Storage(prefix));
    }

    private IFileStorage Opened(S3FileStorage storage)
    {
        opened.Add(storage);
        return storage;
    }

    /// <summary>Bytes that differ at every offset, so that a read from the wrong place shows.</summary>
    private static byte[] Content(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(Stream content)
    {
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Save_OfUnknownLength_ReadsBackWhole_AndFromAnyOffset(StorageBackend backend)
    {
        var storage = Create(backend);
        var bytes = Content(11 * 1024 * 1024 + 7); // three parts of 5 MiB on S3
        await using var sent = new ReadCountingStream(new MemoryStream(bytes), _ => { }); // not seekable: its length is unknown

        var name = await storage.SaveAsync("outputs", sent, "mp4");

        Assert.Matches("^outputs/[0-9]{8}/[0-9a-f]{32}\\.mp4$", name);
        Assert.True(await storage.ExistsAsync(name));
        await using (var read = await storage.OpenReadAsync(name))
        {
            Assert.True(read.CanSeek);
            Assert.Equal(bytes.Length, read.Length);
            Assert.Equal(bytes, await ReadAllAsync(read));
        }

        // A range near the end, then one before it: what a video player asks for.
        await using (var read = await storage.OpenReadAsync(name))
        {
            foreach (var offset in new[] { 9_500_000L, 1234L })
            {
                read.Seek(offset, SeekOrigin.Begin);
                var range = new byte[4000];
                await read.ReadExactlyAsync(range);
                Assert.Equal(bytes.AsSpan((int)offset, range.Length).ToArray(), range);
                Assert.Equal(offset + range.Length, read.Position);
            }
        }
    }

    /// <summary>A source that gives up after <paramref name="after"/> bytes: a client gone, or a request cancelled, half-way.</summary>
    private sealed class GivingUp(int after, Action giveUp) : Stream
    {
        private readonly byte[] bytes = Content(after);
        private int position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (position == bytes.Length)
            {
                giveUp();
            }

            var read = Math.Min(count, bytes.Length - position);
            Array.Copy(bytes, position, buffer, offset, read);
            position += read;
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = new byte[buffer.Length];
            var read = Read(chunk, 0, chunk.Length);
            chunk.AsSpan(0, read).CopyTo(buffer.Span);
            return ValueTask.FromResult(read);
        }

        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Save_CancelledHalfWay_LeavesNoFile(StorageBackend backend)
    {
        var storage = Create(backend);
        using var cancel = new CancellationTokenSource();
        // Past the first part: on S3 a multipart upload is under way when the request is cancelled.
        await using var sent = new GivingUp(7 * 1024 * 1024, () =>
        {
            cancel.Cancel();
            cancel.Token.ThrowIfCancellationRequested();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => storage.SaveAsync("outputs", sent, "png", cancel.Token));

        Assert.Empty(await storage.ListOlderThanAsync("outputs", DateTime.MaxValue, 10));
        if (backend == StorageBackend.S3)
        {
            Assert.Empty(await TestS3.KeysAsync(prefix));
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Save_WhoseSourceFailsHalfWay_LeavesNoFile_AndKeepsTheSourcesError(StorageBackend backend)
    {
        var storage = Create(backend);
        await using var sent = new GivingUp(6 * 1024 * 1024, () => throw new InvalidDataException("the result file is larger than allowed"));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => storage.SaveAsync("outputs", sent, "png"));

        Assert.Equal("the result file is larger than allowed", error.Message);
        Assert.Empty(await storage.ListOlderThanAsync("outputs", DateTime.MaxValue, 10));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task SaveAt_IsWholeOrNothing_AndFalseWhenAFileIsThere(StorageBackend backend)
    {
        var storage = Create(backend);
        var name = $"outputs/20260101/{Guid.NewGuid():N}.thumb.webp";

        Assert.True(await storage.SaveAtAsync(name, new byte[] { 1, 2, 3 }));
        Assert.False(await storage.SaveAtAsync(name, new byte[] { 9, 9 }));

        await using var read = await storage.OpenReadAsync(name);
        Assert.Equal(new byte[] { 1, 2, 3 }, await ReadAllAsync(read));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Receive_KeepsAtMostTheLimit_ToCheckAndSeek_ThenMovesIntoPlace_OrLeavesNothing(StorageBackend backend)
    {
        var storage = Create(backend);
        var bytes = Content(300_000);

        string name;
        await using (var received = await storage.ReceiveAsync(new MemoryStream(bytes), 200_001))
        {
            Assert.Equal(200_001, received.Length);
            await using (var check = received.OpenRead())
            {
                check.Seek(-10, SeekOrigin.End);
                var tail = new byte[10];
                check.ReadExactly(tail);
                Assert.Equal(bytes.AsSpan(200_001 - 10, 10).ToArray(), tail);
            }

            name = await received.MoveIntoPlaceAsync("inputs", "png");
            await Assert.ThrowsAsync<InvalidOperationException>(() => received.MoveIntoPlaceAsync("inputs", "png"));
        }

        await using (var refused = await storage.ReceiveAsync(new MemoryStream(bytes), long.MaxValue))
        {
            Assert.Equal(bytes.Length, refused.Length);
        }

        Assert.Equal(new[] { name }, await storage.ListOlderThanAsync("inputs", DateTime.MaxValue, 10));
        await using var stored = await storage.OpenReadAsync(name);
        Assert.Equal(bytes.AsSpan(0, 200_001).ToArray(), await ReadAllAsync(stored));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Delete_SaysWhetherThereWasAFile_AndAGoneFileIsNotFound(StorageBackend backend)
    {
        var storage = Create(backend);
        var name = await storage.SaveAsync("inputs", new MemoryStream(Content(100)), "jpg");

        Assert.True(await storage.DeleteAsync(name));
        Assert.False(await storage.DeleteAsync(name));
        Assert.False(await storage.ExistsAsync(name));
        await Assert.ThrowsAsync<FileNotFoundException>(() => storage.OpenReadAsync(name));
        await Assert.ThrowsAsync<FileNotFoundException>(() => storage.OpenReadAsync("outputs/19990101/0123456789abcdef0123456789abcdef.png"));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ListOlderThan_ListsTheAreasFilesWrittenBefore_UpToTheLimit(StorageBackend backend)
    {
        var storage = Create(backend);
        var before = DateTime.UtcNow.AddMinutes(-1);
        var outputs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            outputs.Add(await storage.SaveAsync("outputs", new MemoryStream(Content(10 + i)), "png"));
        }

        var input = await storage.SaveAsync("inputs", new MemoryStream(Content(5)), "png");
        var later = DateTime.UtcNow.AddMinutes(1);

        Assert.Equal(outputs.Order(), (await storage.ListOlderThanAsync("outputs", later, 10)).Order());
        Assert.Equal(new[] { input }, await storage.ListOlderThanAsync("inputs", later, 10));
        Assert.Equal(2, (await storage.ListOlderThanAsync("outputs", later, 2)).Count);
        Assert.Empty(await storage.ListOlderThanAsync("outputs", before, 10));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ForgedNames_AreRefused(StorageBackend backend)
    {
        var storage = Create(backend);
        foreach (var forged in new[] { "../secret.png", "outputs/../../secret.png", "/etc/passwd", "outputs/./x.png", "outputs\\x.png", "" })
        {
            await Assert.ThrowsAsync<ArgumentException>(() => storage.OpenReadAsync(forged));
            await Assert.ThrowsAsync<ArgumentException>(() => storage.ExistsAsync(forged));
            await Assert.ThrowsAsync<ArgumentException>(() => storage.DeleteAsync(forged));
        }
    }

    [Fact]
    public async Task S3_AFileOneInstanceStored_IsReadRangedAndDeletedByAnother_WithItsOwnSettings()
    {
        var bytes = Content(6 * 1024 * 1024);
        var first = Opened(TestS3.Storage(prefix));
        var second = Opened(TestS3.Storage(prefix));

        var name = await first.SaveAsync("outputs", new ReadCountingStream(new MemoryStream(bytes), _ => { }), "webp");

        Assert.True(await second.ExistsAsync(name));
        Assert.Equal(new[] { name }, await second.ListOlderThanAsync("outputs", DateTime.UtcNow.AddMinutes(1), 10));
        await using (var read = await second.OpenReadAsync(name))
        {
            read.Position = bytes.Length - 100;
            Assert.Equal(bytes.AsSpan(bytes.Length - 100).ToArray(), await ReadAllAsync(read));
        }

        Assert.True(await second.DeleteAsync(name));
        Assert.False(await first.ExistsAsync(name));
        Assert.Empty(await TestS3.KeysAsync(prefix));
    }

    [Fact]
    public async Task S3_Down_FailsWithAClearError_NamingTheStore_NeverTheKeys()
    {
        var down = Opened(TestS3.Storage(prefix, serviceUrl: $"http://127.0.0.1:{KestrelJobHub.FreePort()}"));

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => down.SaveAsync("inputs", new MemoryStream(Content(1000)), "png"));

        Assert.Contains($"bucket '{TestS3.Bucket}' at http://127.0.0.1:", error.Message);
        Assert.DoesNotContain(Environment.GetEnvironmentVariable("JOBHUB_TEST_S3_SECRET_KEY")!, error.Message);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => down.ExistsAsync("inputs/20260101/0123456789abcdef0123456789abcdef.png"));
    }

    [Fact]
    public void S3_WithASettingMissing_IsRefusedAtStartUp_NamingTheSetting()
    {
        var settings = TestS3.Settings(prefix);
        settings["JobHub:Storage:S3:Bucket"] = "";
        settings["JobHub:Storage:S3:AccessKey"] = null;
        using var services = Services(settings);

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IFileStorage>());

        Assert.Contains("JobHub:Storage:S3:Bucket is required", error.Message);
        Assert.Contains("JobHub:Storage:S3:AccessKey is required", error.Message);
        Assert.DoesNotContain("SecretKey", error.Message);
    }

    /// <summary>JobHub's services as a host registers them, on these settings alone.</summary>
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddJobHubCore(configuration).BuildServiceProvider();
    }

    [Fact]
    public void Local_IsTheDefault()
    {
        using var services = Services(new Dictionary<string, string?> { ["JobHub:StorageRoot"] = root });

        Assert.IsType<LocalFileStorage>(services.GetRequiredService<IFileStorage>());
    }
}
