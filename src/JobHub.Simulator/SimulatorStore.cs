using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace JobHub.Simulator;

/// <summary>
/// Where the simulator keeps its files and tasks: under a data folder (files on disk, every task change appended to
/// <c>tasks.jsonl</c>, so both survive a restart), or in memory when it has none.
/// </summary>
internal sealed partial class SimulatorStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string? folder;
    private readonly ConcurrentDictionary<string, byte[]> memory = new();
    private readonly Lock append = new();

    public SimulatorStore(string? folder)
    {
        this.folder = string.IsNullOrWhiteSpace(folder) ? null : Path.GetFullPath(folder);
        if (this.folder is not null)
        {
            // Users' uploads: readable by this account only.
            CreatePrivateDirectory(this.folder);
            CreatePrivateDirectory(Path.Combine(this.folder, "files"));
            CreatePrivateDirectory(Path.Combine(this.folder, "files", "openapi"));
        }
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnly);
        }
    }

    private string TasksFile => Path.Combine(folder!, "tasks.jsonl");

    /// <summary>A stored file's name as RunningHub gives it (<c>openapi/&lt;32 hex&gt;.ext</c>); anything else names no file.</summary>
    public static bool IsFileName(string name) => FileName().IsMatch(name);

    public void SaveFile(string name, byte[] content)
    {
        if (folder is null)
        {
            memory[name] = content;
            return;
        }

        var path = Path.Combine(folder, "files", name);
        var partial = path + ".partial";
        File.WriteAllBytes(partial, content);
        File.Move(partial, path, overwrite: true);
    }

    public byte[]? ReadFile(string name)
    {
        if (!IsFileName(name))
        {
            return null;
        }

        if (folder is null)
        {
            return memory.GetValueOrDefault(name);
        }

        var path = Path.Combine(folder, "files", name);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    /// <summary>Records a task as it is now; the last record of a task is the one read back.</summary>
    public void SaveTask(SimTask task)
    {
        if (folder is null)
        {
            return;
        }

        var line = JsonSerializer.Serialize(task, Json) + "\n";
        lock (append)
        {
            File.AppendAllText(TasksFile, line);
        }
    }

    /// <summary>The tasks kept by an earlier run (none in memory); the log is rewritten with one line per task.</summary>
    public List<SimTask> LoadTasks()
    {
        if (folder is null || !File.Exists(TasksFile))
        {
            return [];
        }

        var latest = new Dictionary<string, SimTask>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(TasksFile))
        {
            try
            {
                if (!string.IsNullOrWhiteSpace(line) && JsonSerializer.Deserialize<SimTask>(line, Json) is { } task)
                {
                    latest[task.TaskId] = task;
                }
            }
            catch (JsonException)
            {
                // A line cut short by a crash: the task's earlier record stands.
            }
        }

        var compacted = TasksFile + ".partial";
        File.WriteAllLines(compacted, latest.Values.Select(t => JsonSerializer.Serialize(t, Json)));
        File.Move(compacted, TasksFile, overwrite: true);
        return [.. latest.Values];
    }

    public void Clear()
    {
        memory.Clear();
        if (folder is null)
        {
            return;
        }

        lock (append)
        {
            File.Delete(TasksFile);
        }

        foreach (var file in Directory.EnumerateFiles(Path.Combine(folder, "files", "openapi")))
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex("^openapi/[0-9a-f]{32}\\.[a-z0-9]{1,5}$")]
    private static partial Regex FileName();
}
