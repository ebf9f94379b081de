using System.Collections.Concurrent;
using JobHub.Core.Limits;
using JobHub.Core.Storage;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Jobs;

/// <summary>
/// Small previews of a job's copied result images, for lists: made on first request and stored beside the result
/// (<see cref="NameFor"/>), so every later request reads the stored one. A request that finds one being made waits for
/// it; instances that race write aside and the first move into place wins (<see cref="IFileStorage.SaveAtAsync"/>).
/// They go with the result: <see cref="Job.StoredFiles"/> names them, so whatever deletes a job's files deletes them too.
/// </summary>
public sealed class ResultThumbnails(IFileStorage storage, ImageWork imageWork, ILogger<ResultThumbnails> logger)
{
    /// <summary>The longer side of a thumbnail, in pixels (enough for a list on a sharp phone screen).</summary>
    public const int LongestSide = 320;

    public const string MediaType = "image/webp";

    private static readonly Dictionary<string, string> ImageTypes = new(StringComparer.Ordinal)
    {
        [".png"] = "image/png", [".jpg"] = "image/jpeg", [".gif"] = "image/gif", [".webp"] = "image/webp",
    };

    private readonly ConcurrentDictionary<string, Lazy<Task>> making = new(StringComparer.Ordinal);
    private int made;

    /// <summary>The thumbnails this instance has made (for tests that each is made once, and for metrics).</summary>
    public int Made => Volatile.Read(ref made);

    /// <summary>Where the thumbnail of a stored result image is kept; null for a result that is not an image (a video).</summary>
    public static string? NameFor(string storedName) =>
        ImageTypes.ContainsKey(Path.GetExtension(storedName)) ? Path.ChangeExtension(storedName, ".thumb.webp") : null;

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

        if (storage.Exists(name))
        {
            return name;
        }

        if (!storage.Exists(storedName))
        {
            return null;
        }

        var made = making.GetOrAdd(name, _ => new Lazy<Task>(() => MakeAsync(storedName, name)));
        try
        {
            await made.Value.WaitAsync(cancellationToken);
        }
        catch (InvalidDataException ex)
        {
            logger.LogWarning("No thumbnail for {StoredName}: {Error}", storedName, ex.Message);
            return null;
        }
        finally
        {
            making.TryRemove(KeyValuePair.Create(name, made));
        }

        return name;
    }

    /// <summary>Decodes and scales in the bound every image decode shares; not cancelled by one waiting request, since others may wait too.</summary>
    private async Task MakeAsync(string storedName, string name)
    {
        var thumbnail = await imageWork.RunAsync(() =>
        {
            using var original = storage.OpenRead(storedName);
            return ImageScaling.ToLongestSide(original, ImageTypes[Path.GetExtension(storedName)], LongestSide, MediaType, quality: 80);
        }, CancellationToken.None);
        if (await storage.SaveAtAsync(name, thumbnail.Content, CancellationToken.None))
        {
            Interlocked.Increment(ref made);
        }
    }
}
