using Microsoft.Extensions.Options;

namespace JobHub.Core.Storage;

/// <summary>JobHub's own file store for inputs and copied outputs, outside the web root, under generated names.</summary>
public interface IFileStorage
{
    /// <summary>Stores the content under a new generated name in <paramref name="area"/> and returns that name.</summary>
    Task<string> SaveAsync(string area, Stream content, string extension, CancellationToken cancellationToken);

    Stream OpenRead(string storedName);

    bool Exists(string storedName);

    void Delete(string storedName);

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
        if (!System.Text.RegularExpressions.Regex.IsMatch(area, "^[a-z]+$") || !System.Text.RegularExpressions.Regex.IsMatch(extension, "^[a-z0-9]{1,5}$"))
        {
            throw new ArgumentException("area and extension must be short lower-case words");
        }

        var storedName = $"{area}/{DateTime.UtcNow:yyyyMMdd}/{Guid.NewGuid():N}.{extension}";
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

            // On disk before its name is returned: the caller records the name in the database next, and a crash must not
            // leave a record of a file the disk never got (an input a queued job needs, a result copied before RunningHub's
            // URL expires). Left to the kernel's write-back, a round of copies also reached the disk in bursts that held
            // PostgreSQL's WAL flushes on the same disk for 100–240 ms (issue 18: every commit waits for its flush).
            file.Flush(flushToDisk: true);
        }

        return storedName;
    }

    public Stream OpenRead(string storedName) =>
        new FileStream(PathFor(storedName), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);

    public bool Exists(string storedName) => File.Exists(PathFor(storedName));

    public void Delete(string storedName)
    {
        var path = PathFor(storedName);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
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
