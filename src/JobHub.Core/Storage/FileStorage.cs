using Microsoft.Extensions.Options;

namespace JobHub.Core.Storage;

/// <summary>JobHub's own file store for inputs and copied outputs, outside the web root, under generated names.</summary>
public interface IFileStorage
{
    /// <summary>Stores the content under a new generated name in <paramref name="area"/> and returns that name.</summary>
    Task<string> SaveAsync(string area, Stream content, string extension, CancellationToken cancellationToken);

    /// <summary>
    /// Writes at most <paramref name="maxBytes"/> of the content to a file of its own under the root, to be checked there and
    /// then moved into place (<see cref="ReceivedFile.MoveIntoPlace"/>) or deleted (disposed).
    /// </summary>
    Task<ReceivedFile> ReceiveAsync(Stream content, long maxBytes, CancellationToken cancellationToken);

    Stream OpenRead(string storedName);

    bool Exists(string storedName);

    /// <summary>
    /// Stores the content under the name given (a file derived from a stored one), whole or not at all; false, and nothing
    /// changed, when a file of that name is already there.
    /// </summary>
    Task<bool> SaveAtAsync(string storedName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Deletes the file; false when there was none.</summary>
    bool Delete(string storedName);

    /// <summary>Stored names in <paramref name="area"/> last written before <paramref name="before"/>, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<string> ListOlderThan(string area, DateTime before, int limit);
}

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
        var storedName = NewName(area, extension);
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

            // On disk before its name is returned: the caller records the name next, and a crash must not leave a record of
            // a file the disk never got; left to write-back, bursts of copies also stall the commits' WAL flushes on the
            // same disk (docs/decisions/0006-flush-files-before-recording.md).
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
        var path = Path.Combine(folder, $"{Guid.NewGuid():N}.part");
        var received = new ReceivedFile(path, storedName => PathFor(storedName));
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, useAsync: true);
            var chunk = new byte[81920];
            long length = 0;
            int read;
            while (length < maxBytes && (read = await content.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, maxBytes - length)), cancellationToken)) > 0)
            {
                await file.WriteAsync(chunk.AsMemory(0, read), cancellationToken);
                length += read;
            }

            received.Length = length;
            return received;
        }
        catch
        {
            // A read refused half-way (over the size limit, the client gone) leaves no half file behind.
            await received.DisposeAsync();
            throw;
        }
    }

    public Stream OpenRead(string storedName) =>
        new FileStream(PathFor(storedName), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);

    public bool Exists(string storedName) => File.Exists(PathFor(storedName));

    public async Task<bool> SaveAtAsync(string storedName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathFor(storedName);
        if (File.Exists(path))
        {
            return false;
        }

        // Written aside and moved into place, so a reader never sees half a file and of two writers one wins.
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

    public bool Delete(string storedName)
    {
        var path = PathFor(storedName);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    public IReadOnlyList<string> ListOlderThan(string area, DateTime before, int limit)
    {
        var folder = PathFor(area);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(path => File.GetLastWriteTimeUtc(path) < before)
            .Take(limit)
            .Select(path => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .ToList();
    }

    /// <summary>The name a new file of <paramref name="area"/> is stored under.</summary>
    internal static string NewName(string area, string extension)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(area, "^[a-z]+$") || !System.Text.RegularExpressions.Regex.IsMatch(extension, "^[a-z0-9]{1,5}$"))
        {
            throw new ArgumentException("area and extension must be short lower-case words");
        }

        return $"{area}/{DateTime.UtcNow:yyyyMMdd}/{Guid.NewGuid():N}.{extension}";
    }

    /// <summary>Resolves a stored name; anything that would leave the root (a forged name) is refused.</summary>
    private string PathFor(string storedName)
    {
        var path = Path.GetFullPath(Path.Combine(root, storedName));
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException("not a stored file name", nameof(storedName));
        }

        return path;
    }
}

/// <summary>
/// A file received from a client, on disk under the storage root and never whole in memory: read back for its checks, then
/// moved into place under a generated name, or deleted when it is disposed without having been moved.
/// </summary>
public sealed class ReceivedFile : IAsyncDisposable
{
    private readonly string path;
    private readonly Func<string, string> pathFor;
    private bool moved;

    internal ReceivedFile(string path, Func<string, string> pathFor)
    {
        this.path = path;
        this.pathFor = pathFor;
    }

    /// <summary>The bytes received (at most the limit it was received with).</summary>
    public long Length { get; internal set; }

    public Stream OpenRead() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: false);

    /// <summary>Moves the file to a new generated name in <paramref name="area"/>, on disk first (see <see cref="LocalFileStorage.SaveAsync"/>).</summary>
    public string MoveIntoPlace(string area, string extension)
    {
        if (moved)
        {
            throw new InvalidOperationException("the file was already moved into place");
        }

        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            file.Flush(flushToDisk: true);
        }

        var storedName = LocalFileStorage.NewName(area, extension);
        var target = pathFor(storedName);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(path, target);
        moved = true;
        return storedName;
    }

    public ValueTask DisposeAsync()
    {
        if (!moved)
        {
            File.Delete(path);
        }

        return ValueTask.CompletedTask;
    }
}
