using System.Collections.Concurrent;
using JobHub.Core.Limits;
using JobHub.Core.Storage;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Jobs.Outputs;

/// <summary>
/// Small previews of a job's result images, made once on first request and stored beside the result, so whatever
/// deletes a job's files (<see cref="Job.StoredFiles"/>) deletes them too; instances that race: the first move wins.
/// </summary>
public sealed class ResultThumbnails(IFileStorage storage, ImageWork imageWork, ILogger<ResultThumbnails> logger)
{
    /// <summary>The longer side of a thumbnail, in pixels (enough for a list on a sharp phone screen).</summary>
    public const int LongestSide = 320;

    public const string MediaType = "image/webp";

    /// <summary>Larger results get no thumbnail: decoding one would hold a bitmap of hundreds of megabytes.</summary>
    public const long MaxPixels = 40_000_000;

    private readonly ConcurrentDictionary<string, Lazy<Task>> making = new(StringComparer.Ordinal);
    private int made;

    /// <summary>The thumbnails this instance has made (for tests that each is made once, and for metrics).</summary>
    public int Made => Volatile.Read(ref made);

    /// <summary>Where the thumbnail of a stored result image is kept; null for a result that is not an image (a video).</summary>
    public static string? NameFor(string storedName) =>
        ImageType(storedName) is null ? null : Path.ChangeExtension(storedName, ".thumb.webp");

    /// <summary>A stored result's image type, read from its name (stored under the extension its content gave it); null for a video.</summary>
    private static string? ImageType(string storedName) =>
        MediaTypes.ForExtension(Path.GetExtension(storedName)) is { } type && type.StartsWith("image/", StringComparison.Ordinal) ? type : null;

    /// <summary>
    /// The stored name of the thumbnail of <paramref name="storedName"/>, made now when there is none yet; null when the
    /// result is not an image, is gone, or cannot be decoded.
    /// </summary>
    public async Task<string?> GetOrMakeAsync(string storedName, CancellationToken cancellationToken)
    {
        if (NameFor(storedName) is not { } name)
        {
            return null;
        }

        if (await storage.ExistsAsync(name, cancellationToken))
        {
            return name;
        }

        if (!await storage.ExistsAsync(storedName, cancellationToken))
        {
            return null;
        }

        // The entry leaves when the making ends, not when a waiter gives up: an aborted request cannot start a second decode.
        var made = making.GetOrAdd(name, key => new Lazy<Task>(() => MakeAsync(storedName, key)));
        _ = made.Value.ContinueWith(_ => making.TryRemove(KeyValuePair.Create(name, made)), TaskScheduler.Default);
        try
        {
            await made.Value.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            logger.LogWarning("No thumbnail for {StoredName}: {Error}", storedName, ex.Message);
            return null;
        }

        return await storage.ExistsAsync(name, cancellationToken) ? name : null;
    }

    /// <summary>Decodes and scales in the bound every image decode shares; not cancelled by one waiting request, since others may wait too.</summary>
    private async Task MakeAsync(string storedName, string name)
    {
        var thumbnail = await imageWork.RunAsync<ScaledImage?>(async () =>
        {
            if (await storage.ExistsAsync(name))
            {
                return null;
            }

            await using var original = await storage.OpenReadAsync(storedName);
            return ImageScaling.ToLongestSide(original, ImageType(storedName)!, LongestSide, MediaType, quality: 80, MaxPixels);
        }, CancellationToken.None);
        if (thumbnail is not null && await storage.SaveAtAsync(name, thumbnail.Content, CancellationToken.None))
        {
            Interlocked.Increment(ref made);
            // The result deleted meanwhile (retention, an account's deletion): its copy must not outlive it.
            if (!await storage.ExistsAsync(storedName))
            {
                await storage.DeleteAsync(name);
            }
        }
    }
}
