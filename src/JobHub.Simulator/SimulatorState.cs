using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;

namespace JobHub.Simulator;

public enum SimTaskStatus
{
    Queued,
    Running,
    Success,
    Failed,
    Cancelled,
}

public sealed class SimTask
{
    public required string TaskId { get; init; }
    public required string ApiKey { get; init; }
    public required string WebappId { get; init; }
    public required List<SimNode> Nodes { get; init; }
    public string? WebhookUrl { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required bool WillFail { get; init; }
    public SimTaskStatus Status { get; set; } = SimTaskStatus.Queued;
    public DateTimeOffset? EndedAt { get; set; }
    /// <summary>The result file, stored when the task starts; answers name it once the task succeeds.</summary>
    public string? OutputName { get; set; }
    public bool WebhookDone { get; set; }
}

public sealed record SimNode(string NodeId, string FieldName, string FieldValue, string? Description);

/// <summary>A run the simulator refused as RunningHub would (unknown app, wrong nodes).</summary>
public sealed record RefusedRun(string WebappId, IReadOnlyList<SimNode> NodeInfoList, string Code, string Message);

/// <summary>
/// The simulated RunningHub: uploaded files, tasks moving QUEUED → RUNNING → SUCCESS/FAILED on a clock,
/// per-key concurrency, and TASK_END webhooks sent (or lost, delayed, duplicated) as the settings say.
/// With a data folder, its tasks and files outlive a restart, and task ids never repeat.
/// </summary>
public sealed class SimulatorState
{
    private readonly ConcurrentDictionary<string, SimTask> tasks = new();
    private readonly object gate = new();
    private readonly Random random = new(20261122);
    private readonly TimeProvider clock;
    private readonly IHttpClientFactory httpClients;
    private readonly SimulatorStore store;
    private readonly HashSet<string> apiKeys;
    private long lastTaskId;
    private int capacityErrorsLeft;
    private SimulatorSettings settings = new();

    public SimulatorState(TimeProvider clock, IHttpClientFactory httpClients, SimulatorOptions options)
    {
        this.clock = clock;
        this.httpClients = httpClients;
        apiKeys = [.. options.ApiKeys.Where(key => !string.IsNullOrWhiteSpace(key))];
        FilesBaseUrl = options.BaseUrl.TrimEnd('/') + "/files";
        store = new SimulatorStore(options.DataFolder);
        foreach (var task in store.LoadTasks())
        {
            tasks[task.TaskId] = task;
        }

        // Ids continue after the last one kept, and never start below the clock's floor, so a lost data folder repeats none either.
        lastTaskId = Math.Max(TaskIdFloor(clock.GetUtcNow()), tasks.Keys.Select(id => long.TryParse(id, out var n) ? n : 0).DefaultIfEmpty(0).Max());
        Settings = options.Settings;
    }

    /// <summary>19 digits, as RunningHub's: a fixed lead plus the time in milliseconds times 1,000 (room for 1,000 ids a millisecond).</summary>
    public static long TaskIdFloor(DateTimeOffset now) => 2_000_000_000_000_000_000 + now.ToUnixTimeMilliseconds() * 1000;

    public SimulatorSettings Settings
    {
        get { lock (gate) { return settings; } }
        set { lock (gate) { settings = value; capacityErrorsLeft = value.CapacityErrorsNext; } }
    }

    /// <summary>Every start call received, successful or not (tests count them: a start must never be retried).</summary>
    public int StartCalls;

    public int WebhooksSent;

    /// <summary>Called after each webhook delivery with its round trip and JobHub's answer (0 when it failed); the load driver measures with it.</summary>
    public Action<TimeSpan, int>? WebhookObserved { get; set; }

    /// <summary>Where outputs are served: the configured base address, never a request's Host header.</summary>
    public string FilesBaseUrl { get; }

    public IReadOnlyCollection<SimTask> Tasks => tasks.Values.ToList();

    public void Reset(SimulatorSettings? newSettings = null)
    {
        tasks.Clear();
        store.Clear();
        refusedRuns.Clear();
        Interlocked.Exchange(ref StartCalls, 0);
        Interlocked.Exchange(ref WebhooksSent, 0);
        Settings = newSettings ?? new SimulatorSettings();
    }

    public bool IsValidKey(string? key) => key is not null && apiKeys.Contains(key);

    /// <summary>Stores a file under a generated name; the extension is kept only when it is a plain one (it names the file's type).</summary>
    public string StoreFile(byte[] content, string extension)
    {
        extension = extension.ToLowerInvariant();
        if (extension.Length is < 2 or > 6 || extension[0] != '.' || !extension[1..].All(char.IsAsciiLetterOrDigit))
        {
            extension = ".bin";
        }

        var name = $"openapi/{Guid.NewGuid():N}{extension}";
        store.SaveFile(name, content);
        return name;
    }

    public byte[]? File(string name) => store.ReadFile(name);

    private readonly System.Collections.Concurrent.ConcurrentQueue<RefusedRun> refusedRuns = new();

    /// <summary>Runs refused for their app or nodes (803, 901), newest last: what JobHub sent, and what it was told.</summary>
    public IReadOnlyList<RefusedRun> RefusedRuns => [.. refusedRuns];

    public void RecordRefusedRun(string webappId, List<SimNode> nodes, string code, string message)
    {
        Interlocked.Increment(ref StartCalls);
        refusedRuns.Enqueue(new RefusedRun(webappId, nodes, code, message));
        while (refusedRuns.Count > 200 && refusedRuns.TryDequeue(out _))
        {
        }
    }

    /// <summary>
    /// Creates a task, or returns the capacity error code when the key is full or errors are scripted. <c>Hang</c>: this
    /// start's answer must never come (the caller cannot know whether the task exists).
    /// </summary>
    public (SimTask? Task, string? CapacityCode, bool Hang) Start(string apiKey, string webappId, List<SimNode> nodes, string? webhookUrl)
    {
        Interlocked.Increment(ref StartCalls);
        Advance();
        var result = Result(nodes); // made outside the lock: scaling a large image takes a moment
        lock (gate)
        {
            if (capacityErrorsLeft > 0)
            {
                capacityErrorsLeft--;
                return (null, settings.CapacityErrorCode, false);
            }

            if (settings.CapacityErrorRate > 0 && random.NextDouble() < settings.CapacityErrorRate)
            {
                return (null, settings.CapacityErrorCode, false);
            }

            var active = tasks.Values.Count(t => t.ApiKey == apiKey && t.Status is SimTaskStatus.Queued or SimTaskStatus.Running);
            if (active >= settings.ConcurrencyPerKey)
            {
                return (null, "421", false);
            }

            var task = new SimTask
            {
                TaskId = (++lastTaskId).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ApiKey = apiKey,
                WebappId = webappId,
                Nodes = nodes,
                WebhookUrl = webhookUrl,
                CreatedAt = clock.GetUtcNow(),
                WillFail = random.NextDouble() < settings.FailureRate,
            };
            task.OutputName = task.WillFail ? null : StoreFile(result.Content, result.Extension);
            tasks[task.TaskId] = task;
            store.SaveTask(task);
            return (task, null, settings.StartHangs || settings.StartUnknownRate > 0 && random.NextDouble() < settings.StartUnknownRate);
        }
    }

    /// <summary>What the task returns when it succeeds, made from its first input file (<see cref="SampleResults"/>).</summary>
    private SampleResult Result(IEnumerable<SimNode> nodes)
    {
        var input = nodes.Select(n => (n.FieldValue, Content: store.ReadFile(n.FieldValue))).FirstOrDefault(f => f.Content is not null);
        return SampleResults.For(input.Content, Path.GetExtension(input.FieldValue ?? ""));
    }

    public SimTask? Find(string? taskId)
    {
        Advance();
        return taskId is null ? null : tasks.GetValueOrDefault(taskId);
    }

    /// <summary>Cancels a task that is not finished; false when it already ended (817).</summary>
    public bool Cancel(SimTask task)
    {
        lock (gate)
        {
            if (task.Status is SimTaskStatus.Success or SimTaskStatus.Failed or SimTaskStatus.Cancelled)
            {
                return false;
            }

            task.Status = SimTaskStatus.Cancelled;
            task.EndedAt = clock.GetUtcNow();
            task.WebhookDone = true;
            store.SaveTask(task);
            return true;
        }
    }

    public int ActiveFor(string apiKey) =>
        tasks.Values.Count(t => t.ApiKey == apiKey && t.Status is SimTaskStatus.Queued or SimTaskStatus.Running);

    /// <summary>Moves every task along the clock.</summary>
    public void Advance()
    {
        var now = clock.GetUtcNow();
        lock (gate)
        {
            foreach (var task in tasks.Values)
            {
                var was = task.Status;
                if (task.Status == SimTaskStatus.Queued && now - task.CreatedAt >= settings.QueuedFor)
                {
                    task.Status = SimTaskStatus.Running;
                }

                if (task.Status == SimTaskStatus.Running && now - task.CreatedAt >= settings.QueuedFor + settings.RunFor)
                {
                    task.Status = task.WillFail ? SimTaskStatus.Failed : SimTaskStatus.Success;
                    task.EndedAt = now;
                    if (!task.WillFail && task.OutputName is null)
                    {
                        var result = Result(task.Nodes); // a task kept from a run that made results when tasks ended
                        task.OutputName = StoreFile(result.Content, result.Extension);
                    }
                }

                if (task.Status != was)
                {
                    store.SaveTask(task);
                }
            }
        }
    }

    /// <summary>Moves tasks along, then hands over the ended ones whose webhook is due, each once (the clock sends them).</summary>
    public IReadOnlyList<SimTask> CollectEnded()
    {
        Advance();
        var ended = new List<SimTask>();
        lock (gate)
        {
            foreach (var task in tasks.Values.Where(t => t.Status is SimTaskStatus.Success or SimTaskStatus.Failed && !t.WebhookDone))
            {
                task.WebhookDone = true;
                store.SaveTask(task);
                ended.Add(task);
            }
        }

        return ended;
    }

    /// <summary>Sends the TASK_END webhooks of tasks that just ended, as the settings say (lost, delayed, duplicated).</summary>
    public async Task DeliverWebhooksAsync(IReadOnlyList<SimTask> ended, CancellationToken cancellationToken)
    {
        foreach (var task in ended.Where(t => t.WebhookUrl is not null))
        {
            var current = Settings;
            double roll;
            lock (gate)
            {
                roll = random.NextDouble();
            }

            if (roll < current.WebhookLostRate)
            {
                continue;
            }

            var copies = roll < current.WebhookLostRate + current.WebhookDuplicateRate ? Math.Max(2, current.WebhookDuplicates) : 1;
            _ = Task.Run(async () =>
            {
                try
                {
                    if (current.WebhookDelay > TimeSpan.Zero)
                    {
                        await Task.Delay(current.WebhookDelay, clock, cancellationToken);
                    }

                    using var http = httpClients.CreateClient("simulator-webhooks");
                    for (var i = 0; i < copies; i++)
                    {
                        await PostAsync(http, task.WebhookUrl!, SimulatorPayloads.WebhookBody(task, FilesBaseUrl, current.EventDataAsString, current.FailureMessage), cancellationToken);
                    }

                    if (copies > 1 && current.WebhookOutOfOrder)
                    {
                        await PostAsync(http, task.WebhookUrl!, SimulatorPayloads.StaleWebhookBody(task), cancellationToken);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                {
                    // A receiver that is down loses this delivery, as with the real service after its retries.
                }
            }, cancellationToken);
        }
    }

    private async Task PostAsync(HttpClient http, string url, object body, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.PostAsJsonAsync(url, body, JsonSerializerOptions.Web, cancellationToken);
            Interlocked.Increment(ref WebhooksSent);
            WebhookObserved?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started), (int)response.StatusCode);
        }
        catch (HttpRequestException)
        {
            WebhookObserved?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started), 0);
            throw;
        }
    }
}
