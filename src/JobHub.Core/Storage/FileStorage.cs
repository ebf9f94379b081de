using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Storage;

/// <summary>
/// JobHub's own store for inputs, copied outputs and thumbnails, under generated names, served only through JobHub's
/// endpoints: the local disk (<see cref="LocalFileStorage"/>) or an S3 bucket every host sees (<see cref="S3FileStorage"/>).
/// </summary>
public interface IFileStorage
{
    /// <summary>
    /// Stores the content under a new generated name in <paramref name="area"/> and returns that name once the file is
    /// durable: the caller records the name next, and a crash must not leave a record of a file the store never got.
    /// </summary>
    Task<string> SaveAsync(string area, Stream content, string extension, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes at most <paramref name="maxBytes"/> of the content to a place of its own, to be checked there and then moved
    /// into place (<see cref="ReceivedFile.MoveIntoPlaceAsync"/>) or deleted (disposed).
    /// </summary>
    Task<ReceivedFile> ReceiveAsync(Stream content, long maxBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// The file as a seekable stream of known length: a seek reads on from there without reading what is before it
    /// (range requests of a video). <see cref="FileNotFoundException"/> when there is none.
    /// </summary>
    Task<Stream> OpenReadAsync(string storedName, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(string storedName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the content under the name given (a file derived from a stored one), whole or not at all; false, and nothing
    /// changed, when a file of that name is already there.
    /// </summary>
    Task<bool> SaveAtAsync(string storedName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>Deletes the file; false when there was none.</summary>
    Task<bool> DeleteAsync(string storedName, CancellationToken cancellationToken = default);

    /// <summary>Stored names in <paramref name="area"/> last written before <paramref name="before"/>, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<string>> ListOlderThanAsync(string area, DateTime before, int limit, CancellationToken cancellationToken = default);
}

public static class FileStorageExtensions
{
    /// <summary>Whether every one of the files is still stored.</summary>
    public static async Task<bool> AllExistAsync(this IFileStorage storage, IEnumerable<string> storedNames, CancellationToken cancellationToken = default)
    {
        foreach (var name in storedNames)
        {
            if (!await storage.ExistsAsync(name, cancellationToken))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>The store did not answer or refused JobHub (an S3 endpoint down, wrong keys): nothing was stored, try again later.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The code the upload endpoints answer with (and the pages word in their language).</summary>
    public const string Code = "STORAGE_UNAVAILABLE";

    /// <summary>What a client is told (in English; the pages word the code in their language).</summary>
    public const string Advice = "The file store is not answering; try again in a moment.";
}

/// <summary>The names files are stored under, the same in every backend, so that the database never says where a file lives.</summary>
public static partial class StoredNames
{
    /// <summary>The name a new file of <paramref name="area"/> is stored under.</summary>
    public static string New(string area, string extension)
    {
        if (!Area().IsMatch(area) || !Extension().IsMatch(extension))
        {
            throw new ArgumentException("area and extension must be short lower-case words");
        }

        return $"{area}/{DateTime.UtcNow:yyyyMMdd}/{Guid.NewGuid():N}.{extension}";
    }

    /// <summary>Refuses a name no backend ever made (a forged one that would reach outside the store).</summary>
    public static string Check(string storedName) =>
        Name().IsMatch(storedName) && !storedName.Split('/').Any(segment => segment is "." or "..")
            ? storedName
            : throw new ArgumentException("not a stored file name", nameof(storedName));

    /// <summary>The folder of an area's files (<c>inputs/</c>), checked like a name.</summary>
    public static string Folder(string area) => Check(area.TrimEnd('/')) + "/";

    [GeneratedRegex("^[a-z]+$")]
    private static partial Regex Area();

    [GeneratedRegex("^[a-z0-9]{1,5}$")]
    private static partial Regex Extension();

    [GeneratedRegex("^[a-z]+(/[A-Za-z0-9_.-]+)*$")]
    private static partial Regex Name();
}

/// <summary>
/// A file received from a client, never whole in memory: read back for its checks (<see cref="OpenRead"/>, seekable, on
/// this host's disk), then moved into place under a generated name, or deleted when it is disposed without having been moved.
/// </summary>
public abstract class ReceivedFile : IAsyncDisposable
{
    private const int ChunkSize = 81920;

    /// <summary>The bytes received (at most the limit it was received with).</summary>
    public long Length { get; private set; }

    protected bool Moved { get; private set; }

    public abstract Stream OpenRead();

    /// <summary>Stores the file under a new generated name in <paramref name="area"/> and returns the name once it is durable.</summary>
    public async Task<string> MoveIntoPlaceAsync(string area, string extension, CancellationToken cancellationToken = default)
    {
        if (Moved)
        {
            throw new InvalidOperationException("the file was already moved into place");
        }

        var storedName = await PlaceAsync(StoredNames.New(area, extension), cancellationToken);
        Moved = true;
        return storedName;
    }

    protected abstract Task<string> PlaceAsync(string storedName, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>Copies at most <paramref name="maxBytes"/> of the content through <paramref name="write"/> (given each chunk and its offset).</summary>
    protected async Task CopyInAsync(Stream content, long maxBytes, Func<ReadOnlyMemory<byte>, long, CancellationToken, ValueTask> write,
        CancellationToken cancellationToken)
    {
        var chunk = new byte[ChunkSize];
        long length = 0;
        int read;
        while (length < maxBytes && (read = await content.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, maxBytes - length)), cancellationToken)) > 0)
        {
            await write(chunk.AsMemory(0, read), length, cancellationToken);
            length += read;
        }

        Length = length;
    }
}

/// <summary>Files on this host's disk under <c>JobHub:StorageRoot</c>: for one host, or several that mount one shared folder.</summary>
public sealed class LocalFileStorage : IFileStorage
{
    private readonly string root;

    public LocalFileStorage(IOptions<JobHubOptions> options)
    {
        root = Path.GetFullPath(string.IsNullOrWhiteSpace(options.Value.StorageRoot)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "jobhub", "storage")
            : options.Value.StorageRoot);
        Directory.CreateDirectory(root);
    }

    public async Task<string> SaveAsync(string area, Stream content, string extension, CancellationToken cancellationToken)
    {
        var storedName = StoredNames.New(area, extension);
        var path = PathFor(storedName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            try
            {
                await content.CopyToAsync(file, cancellationToken);
            }
            catch
            {
                // A read refused half-way (over the size limit, too slow) leaves no half file behind.
                await file.DisposeAsync();
                File.Delete(path);
                throw;
            }

            // Durable before the name is returned (see IFileStorage.SaveAsync), and written file by file rather than in the
            // kernel's write-back bursts, which hold PostgreSQL's commits on the same disk (docs/decisions/0006).
            file.Flush(flushToDisk: true);
        }

        return storedName;
    }

    /// <summary>
    /// Where a file is written while it arrives: under <c>inputs/</c>, so that one cut short by a crash is removed by the
    /// unused-inputs sweep like any upload no job uses.
    /// </summary>
    public const string ReceivingFolder = "inputs/receiving";

    public async Task<ReceivedFile> ReceiveAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var folder = PathFor(ReceivingFolder);
        Directory.CreateDirectory(folder);
        var received = new LocalReceivedFile(Path.Combine(folder, $"{Guid.NewGuid():N}.part"), PathFor);
        try
        {
            await using var file = new FileStream(received.Path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, useAsync: true);
            await received.WriteAsync(content, maxBytes, file, cancellationToken);
            return received;
        }
        catch
        {
            // A read refused half-way (over the size limit, the client gone) leaves no half file behind.
            await received.DisposeAsync();
            throw;
        }
    }

    public Task<Stream> OpenReadAsync(string storedName, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult<Stream>(new FileStream(PathFor(storedName), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true));
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new FileNotFoundException(ex.Message, storedName, ex);
        }
    }

    public Task<bool> ExistsAsync(string storedName, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathFor(storedName)));

    public async Task<bool> SaveAtAsync(string storedName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathFor(storedName);
        if (File.Exists(path))
        {
            return false;
        }

        // Written aside and moved into place, so a reader never sees half a file and of two writers one wins.
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var part = $"{path}.{Guid.NewGuid():N}.part";
        try
        {
            await using (var file = new FileStream(part, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, useAsync: true))
            {
                await file.WriteAsync(content, cancellationToken);
                file.Flush(flushToDisk: true);
            }

            File.Move(part, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(part);
        }
    }

    public Task<bool> DeleteAsync(string storedName, CancellationToken cancellationToken)
    {
        var path = PathFor(storedName);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<string>> ListOlderThanAsync(string area, DateTime before, int limit, CancellationToken cancellationToken)
    {
        var folder = PathFor(area);
        if (!Directory.Exists(folder))
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }

        return Task.FromResult<IReadOnlyList<string>>(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(path => File.GetLastWriteTimeUtc(path) < before)
            .Take(limit)
            .Select(path => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .ToList());
    }

    /// <summary>Resolves a stored name; anything that would leave the root (a forged name) is refused.</summary>
    private string PathFor(string storedName)
    {
        var path = Path.GetFullPath(Path.Combine(root, StoredNames.Check(storedName)));
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException("not a stored file name", nameof(storedName));
        }

        return path;
    }

    /// <summary>Received under the storage root, so that moving it into place is a rename on the same disk.</summary>
    private sealed class LocalReceivedFile(string path, Func<string, string> pathFor) : ReceivedFile
    {
        public string Path { get; } = path;

        public Task WriteAsync(Stream content, long maxBytes, FileStream file, CancellationToken cancellationToken) =>
            CopyInAsync(content, maxBytes, (chunk, _, token) => file.WriteAsync(chunk, token), cancellationToken);

        public override Stream OpenRead() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: false);

        /// <summary>On disk before it is renamed into place (see <see cref="LocalFileStorage.SaveAsync"/>).</summary>
        protected override Task<string> PlaceAsync(string storedName, CancellationToken cancellationToken)
        {
            using (var file = new FileStream(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                file.Flush(flushToDisk: true);
            }

            var target = pathFor(storedName);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Move(Path, target);
            return Task.FromResult(storedName);
        }

        public override ValueTask DisposeAsync()
        {
            if (!Moved)
            {
                File.Delete(Path);
            }

            return ValueTask.CompletedTask;
        }
    }
}
