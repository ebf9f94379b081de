using JobHub.Core.Jobs;
using JobHub.Core.Storage;
using JobHub.Web.Jobs;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// Files picked on a tool page, for tests of its logic without a browser: "sending" one stores it as the upload endpoint
/// does (<see cref="StoreInput"/> for the signed-in person, progress as its bytes are read) and answers what the endpoint
/// would.
/// </summary>
public static class TestUploads
{
    public static UploadItem Item(StoreInput store, Guid user, string toolKey, string inputKey, byte[] bytes, string type = "image/png",
        Func<Stream>? open = null) =>
        new(inputKey, $"{inputKey}.png", bytes.Length, type, async (progress, cancellationToken) =>
        {
            await using var content = open?.Invoke() ?? new MemoryStream(bytes);
            await using var counted = new ReadCountingStream(content, progress);
            return UploadAnswer.From(await store.HandleAsync(user, toolKey, inputKey, counted, $"{inputKey}.png", long.MaxValue, cancellationToken));
        });

    /// <summary>The pose changer's two inputs, small PNGs.</summary>
    public static IReadOnlyList<UploadItem> Pose(StoreInput store, Guid user) =>
    [
        Item(store, user, "pose-changer", "person", JobHub.Simulator.SampleMedia.Png(40, 30, 1)),
        Item(store, user, "pose-changer", "pose", JobHub.Simulator.SampleMedia.Png(40, 30, 2)),
    ];
}
