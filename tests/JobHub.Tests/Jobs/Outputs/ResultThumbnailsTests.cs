using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Maintenance;
using JobHub.Core.Storage;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace JobHub.Tests.Jobs.Outputs;

/// <summary>
/// The thumbnails of results (on the real storage and database): small, made once however many ask at once, none for a
/// video, and deleted with the job's other files.
/// </summary>
public sealed class ResultThumbnailsTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private IFileStorage Storage => h.Services.GetRequiredService<IFileStorage>();

    private ResultThumbnails Thumbnails => h.Services.GetRequiredService<ResultThumbnails>();

    /// <summary>A large result image stored as a copy would store it.</summary>
    private async Task<string> StoredResultAsync(int width = 2400, int height = 1600) =>
        await Storage.SaveAsync("outputs", new MemoryStream(SampleMedia.Png(width, height, 3)), "png", CancellationToken.None);

    [Fact]
    public async Task AThumbnail_IsSmall_AndMadeOnce_EvenWhenTwoAskAtOnce()
    {
        var result = await StoredResultAsync();

        var names = await Task.WhenAll(Thumbnails.GetOrMakeAsync(result, default), Thumbnails.GetOrMakeAsync(result, default));

        Assert.Equal(ResultThumbnails.NameFor(result), names[0]);
        Assert.Equal(names[0], names[1]);
        Assert.Equal(1, Thumbnails.Made);
        byte[] bytes;
        await using (var stored = await Storage.OpenReadAsync(names[0]!))
        {
            bytes = new byte[stored.Length];
            await stored.ReadExactlyAsync(bytes);
        }

        Assert.Equal(("image/webp", "webp"), MediaTypes.Sniff(bytes));
        using var codec = SKCodec.Create(new MemoryStream(bytes));
        Assert.Equal((320, 213), (codec.Info.Width, codec.Info.Height));
        Assert.True(bytes.Length < 20_000, $"{bytes.Length} bytes");
        // Written aside and moved into place: only the result and its thumbnail are stored.
        Assert.Equal(new[] { result, names[0] }.Order(), (await Storage.ListOlderThanAsync("outputs", DateTime.MaxValue, 10)).Order());

        Assert.Equal(names[0], await Thumbnails.GetOrMakeAsync(result, default));
        Assert.Equal(1, Thumbnails.Made); // the stored one is read, not made again
    }

    [Fact]
    public async Task AVideo_OrAResultThatIsGone_HasNone()
    {
        Assert.Null(ResultThumbnails.NameFor("outputs/20261207/0123456789abcdef.mp4"));
        Assert.Null(await Thumbnails.GetOrMakeAsync("outputs/20261207/0123456789abcdef.mp4", default));
        Assert.Null(await Thumbnails.GetOrMakeAsync("outputs/20261207/0123456789abcdef.png", default));
        Assert.Equal(0, Thumbnails.Made);
    }

    [Fact]
    public async Task Retention_DeletesTheThumbnail_WithTheJobsOtherFiles()
    {
        var user = await h.CreateUserAsync();
        var result = await StoredResultAsync(800, 600);
        var thumbnail = (await Thumbnails.GetOrMakeAsync(result, default))!;
        var id = Guid.NewGuid();
        var outputs = JobJson.Serialize(new[] { new JobOutput("https://rh.example/result.png", "9", "png", result) });
        var ended = h.Clock.GetUtcNow().UtcDateTime.AddDays(-400);
        await h.Db.ExecuteAsync($"""
            INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, queue_seq, started_at, completed_at, outputs, outputs_copied_at, updated_at)
            VALUES ({id}, {user}, 'image-upscaler', 'completed', 3, {ended}, nextval('jobs_queue_seq'), {ended}, {ended}, {outputs}::jsonb, {ended}, {ended})
            """);
        Assert.Equal([result, thumbnail], (await h.GetJobAsync(id)).StoredFiles());

        var counts = await h.Services.GetServices<IMaintenanceTask>().OfType<RetentionSweep>().Single().RunAsync(CancellationToken.None);

        Assert.False(await Storage.ExistsAsync(result));
        Assert.False(await Storage.ExistsAsync(thumbnail));
        Assert.Equal(2, counts["files_deleted"]);
    }
}
