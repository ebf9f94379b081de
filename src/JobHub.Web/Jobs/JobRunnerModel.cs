using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Limits;
using JobHub.Core.Storage;
using JobHub.Core.Tools;
using JobHub.Web.RateLimiting;
using JobHub.Web.Realtime;

namespace JobHub.Web.Jobs;

public enum RunnerPhase
{
    /// <summary>Reading the user's active job.</summary>
    Loading,

    /// <summary>The form: no active job.</summary>
    Ready,

    /// <summary>Run was pressed while a chosen file's upload is still under way: the run waits for it.</summary>
    Uploading,

    Submitting,

    /// <summary>A job is queued, starting or running (this tool's or another's: R4).</summary>
    Active,

    /// <summary>The job ended: result, error or cancellation shown.</summary>
    Finished,
}

/// <summary>
/// A file chosen in a drop zone, as the browser describes it (app.js <c>jobhub.drops</c>): its bytes stay in the browser.
/// <paramref name="Serial"/> numbers the browser's uploads, so a replaced file's late reports are told apart.
/// </summary>
public sealed record PickedFile(string Name, long Size, string ContentType, int Serial = 0);

/// <summary>
/// A file the user picked, as the browser tells it, and how to wait for its upload: the bytes never pass through the
/// circuit; the browser sends them to <see cref="UploadEndpoints"/> as soon as the file is chosen (<see cref="BrowserUpload"/>),
/// reporting progress, and the answer names the stored upload.
/// </summary>
public sealed record UploadItem(string InputKey, string FileName, long Size, string ContentType,
    Func<Action<long>, CancellationToken, Task<UploadAnswer>> SendAsync);

/// <summary>
/// A message for the user: a resource key, localized by the page, with the values it names (which input, what the
/// file is and the limit, a cost and a balance), so that a refusal keeps its numbers in every language.
/// </summary>
public sealed record RunnerMessage(string Key, params string[] Arguments)
{
    /// <summary>A refusal of one input, in the order the <c>Error_INPUT_*</c> texts expect: the input's name, then the values.</summary>
    public static RunnerMessage ForInput(string code, InputDefinition input, IEnumerable<string> values) =>
        new("Error_" + code + (code == "INPUT_UNREADABLE" ? "_" + input.Kind : ""), [input.DisplayName(System.Globalization.CultureInfo.CurrentUICulture.Name), .. values]);

    /// <summary>
    /// An upload the endpoint refused, in the page's words: the file's own reasons (type, size, dimensions, duration,
    /// content, the person's upload bound) name the input; a rate limit says how long to wait; the rest are the run's (credits, an active job).
    /// </summary>
    public static RunnerMessage ForUpload(InputDefinition input, UploadAnswer answer)
    {
        var arguments = answer.Arguments ?? [];
        return answer.Code switch
        {
            RateLimitPolicies.RateLimitedCode => new("RateLimited", (answer.RetryAfter ?? 1).ToString(System.Globalization.CultureInfo.CurrentCulture)),
            { } code when code.StartsWith("INPUT_", StringComparison.Ordinal) || code.StartsWith("UPLOADS_", StringComparison.Ordinal) => ForInput(code, input, arguments.Select(Numbers.Stored)),
            var code => new("Error_" + (code ?? "UPLOAD_FAILED"), [.. arguments]),
        };
    }

    /// <summary>The browser's checks of a picked file (the server checks again by content): empty, too large, or not an accepted type.</summary>
    public static RunnerMessage? CheckPicked(InputDefinition input, long size, string? contentType)
    {
        if (MediaInspector.CheckSize(input, size) is { } wrongSize)
        {
            return ForInput(wrongSize.Code, input, wrongSize.Arguments.Select(Numbers.Stored));
        }

        return input.MimeTypes.Count > 0 && !string.IsNullOrEmpty(contentType) && !MediaTypes.IsOneOf(contentType, input.MimeTypes)
            ? ForInput("INPUT_TYPE", input, [MediaTypes.Name(contentType), MediaTypes.List(input.MimeTypes)])
            : null;
    }

    /// <summary>
    /// The browser's measure of a picked file (its dimensions; a video's duration) against the input's limits: the same
    /// checks, with the same words, as the server's on the content.
    /// </summary>
    public static RunnerMessage? CheckMeasured(InputDefinition input, int width, int height, double? duration) =>
        (MediaInspector.CheckDimensions(input, width, height) ?? MediaInspector.CheckDuration(input, duration)) is { } rejection
            ? ForInput(rejection.Code, input, rejection.Arguments)
            : null;
}

/// <summary>
/// The whole flow of a tool page without a browser (<c>JobRunner</c> only renders it): a synchronous lock so a double click
/// makes one job, checks, uploads, submit, the live state (pushed by <see cref="JobNotifications"/>, polled), check, cancel,
/// result, run again. A person's active job, from any tab or tool, is shown instead of the form.
/// </summary>
public sealed class JobRunnerModel(
    ToolDefinition tool,
    Guid userId,
    JobQueries queries,
    SubmitJob submitJob,
    RunAgain runAgain,
    CancelJob cancelJob,
    ReconcileJob reconcileJob,
    QueueHeartbeat heartbeat,
    QueueView queueView,
    RunTimes runTimes,
    RateLimits limits,
    int slots,
    TimeProvider clock,
    Drain.InstanceDrain? drain = null)
{
    private int busy;
    private int changedWhileBusy;

    public ToolDefinition Tool => tool;
    public RunnerPhase Phase { get; private set; } = RunnerPhase.Loading;
    public Job? Job { get; private set; }
    public int? QueuePosition { get; private set; }
    public RunnerMessage? Error { get; private set; }

    /// <summary>Upload progress, 0–1, over all files.</summary>
    public double UploadProgress { get; private set; }

    public bool IsBusy => Volatile.Read(ref busy) == 1;

    /// <summary>The shown job belongs to another tool (R4: one active job per user, whatever the tool).</summary>
    public bool JobIsOtherTool => Job is not null && Job.ToolKey != tool.Key;

    /// <summary>Cancelling needs a confirmation when the job really waits in the queue (SPEC.md).</summary>
    public bool CancelNeedsConfirmation => Job?.Status == JobStatus.Queued;

    public bool IsActive => Job is not null && JobStatus.Active.Contains(Job.Status);

    /// <summary>Raised after every change of state; the component re-renders.</summary>
    public event Action? Changed;

    /// <summary>
    /// Raised when the job this page was following ends (completed, failed, or cancelled by anyone but this page's own
    /// Cancel): the page plays a sound and, when allowed, shows a browser notification.
    /// </summary>
    public event Action<Job>? Ended;

    /// <summary>The estimates the page shows (<see cref="RunEstimates"/>), read again as the job and the queue move; null until read.</summary>
    public RunEstimates? Estimates { get; private set; }

    /// <summary>The person's credits, shown beside the cost before a run.</summary>
    public int? Balance { get; private set; }

    /// <summary>How long a run of this tool with these settings is estimated to take (the idle form).</summary>
    public TimeSpan? RunEstimate(IReadOnlyDictionary<string, string> parameters) => Estimates?.Run(tool.Key, parameters);

    // Per input: the latest choice's upload (started in the browser when chosen), and the one the browser's checks passed.
    private readonly Dictionary<string, BrowserUpload> chosen = [];
    private readonly Dictionary<string, BrowserUpload> passed = [];
    // Why a chosen file cannot be used: the browser's checks, and the upload endpoint's answer.
    private readonly Dictionary<string, RunnerMessage> pickErrors = [];
    private readonly Dictionary<string, RunnerMessage> uploadErrors = [];
    // The inputs whose chosen file the browser is still measuring (how many choices each), and what a run waits on.
    private readonly Dictionary<string, int> checking = [];
    private TaskCompletionSource? measured;
    // The person's choices per parameter definition: a key may have one definition per context (the detail level's
    // range differs by category), and a value chosen for one must not carry over to another's range.
    private readonly Dictionary<ParameterDefinition, string?> choices = [];

    /// <summary>Bumped when the form forgets its chosen files (after a run, on "run again"): each drop zone starts afresh.</summary>
    public int FormGeneration { get; private set; }

    /// <summary>Why the file chosen for an input cannot be used (the browser's checks or the upload endpoint's answer); null when it can.</summary>
    public RunnerMessage? Refusal(string inputKey) => pickErrors.GetValueOrDefault(inputKey) ?? uploadErrors.GetValueOrDefault(inputKey);

    /// <summary>A chosen file was refused: Run stays disabled until it is replaced.</summary>
    public bool HasRefusal => pickErrors.Count > 0 || uploadErrors.Count > 0;

    /// <summary>The form's parameters: those that apply to the choices made so far (<see cref="ToolParameters.Applying"/>).</summary>
    public IEnumerable<ParameterDefinition> FormParameters => ToolParameters.Applying(tool, Value).Select(applying => applying.Parameter);

    /// <summary>A parameter's value in the form: the person's choice, or its default.</summary>
    public string? Value(ParameterDefinition parameter) => choices.TryGetValue(parameter, out var value) ? value : parameter.Default;

    /// <summary>A number parameter's value for its slider (its minimum when the value is not a number).</summary>
    public decimal Number(ParameterDefinition parameter) =>
        decimal.TryParse(Value(parameter), System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : parameter.Min;

    public void Choose(ParameterDefinition parameter, string? value)
    {
        if (value is not null)
        {
            choices[parameter] = value;
        }
    }

    /// <summary>What the page keeps when it moves to another instance: the choices and the job it follows.</summary>
    public RunnerSnapshot Snapshot => RunnerSnapshot.Capture(tool, choices, Job?.Id);

    /// <summary>The choices a page brought from another instance.</summary>
    public void Restore(RunnerSnapshot snapshot) => snapshot.Restore(tool, choices);

    /// <summary>What a run sends: the value of every parameter that applies, by key.</summary>
    public IReadOnlyDictionary<string, string?> FormValues => ToolParameters.Applying(tool, Value).ToDictionary(a => a.Parameter.Key, a => a.Value);

    private IReadOnlyDictionary<string, string> ChosenValues =>
        ToolParameters.Applying(tool, Value).Where(a => a.Value is not null).ToDictionary(a => a.Parameter.Key, a => a.Value!);

    /// <summary>The credits a run with the form's settings costs.</summary>
    public int FormCost => tool.CostFor(ChosenValues);

    /// <summary>How long a run with the form's settings is estimated to take.</summary>
    public TimeSpan? FormEstimate => RunEstimate(ChosenValues);

    /// <summary>A file was chosen for <paramref name="input"/> (its upload already started in the browser) and is being measured.</summary>
    public void Checking(InputDefinition input, BrowserUpload upload)
    {
        checking[input.Key] = checking.GetValueOrDefault(input.Key) + 1;
        measured ??= new(TaskCreationOptions.RunContinuationsAsynchronously);
        chosen[input.Key] = upload;
        passed.Remove(input.Key);
        uploadErrors.Remove(input.Key);
    }

    /// <summary>The browser measured a chosen file: <paramref name="refusal"/> says why its checks refused it, or null when it fits.</summary>
    public void Picked(InputDefinition input, BrowserUpload upload, RunnerMessage? refusal)
    {
        if (checking.TryGetValue(input.Key, out var pending) && --pending > 0)
        {
            checking[input.Key] = pending; // an earlier choice's answer: the latest choice is still being measured
        }
        else if (checking.Remove(input.Key) && checking.Count == 0)
        {
            measured?.TrySetResult();
            measured = null;
        }

        if (chosen.GetValueOrDefault(input.Key) != upload)
        {
            return; // a replaced file's measure
        }

        pickErrors.Remove(input.Key);
        passed.Remove(input.Key);
        if (refusal is not null)
        {
            pickErrors[input.Key] = refusal;
            Refuse(refusal);
        }
        else
        {
            passed[input.Key] = upload;
            if (Error is not null && !HasRefusal)
            {
                Refuse(null); // the refused file was replaced by one that fits
            }
        }
    }

    /// <summary>The endpoint answered a chosen file's upload: a refusal is shown beside its input (and at the top) before any run.</summary>
    public async Task UploadAnsweredAsync(InputDefinition input, BrowserUpload upload, CancellationToken cancellationToken = default)
    {
        if (chosen.GetValueOrDefault(input.Key) != upload || upload.Answer is not { UploadId: null } refused)
        {
            return; // stored, or a replaced file's late answer
        }

        // A run waiting for this upload shows the refusal itself.
        uploadErrors[input.Key] = IsBusy ? RunnerMessage.ForUpload(input, refused) : await RefuseUploadAsync(input, refused, cancellationToken);
    }

    /// <summary>
    /// Run was pressed: a file chosen a moment ago may still be measured (a video the browser cannot play takes longest),
    /// so this waits for its answer; false, with the chosen file's own reason shown, when a file was refused.
    /// </summary>
    public async Task<bool> FormReadyAsync()
    {
        while (measured is { } pending)
        {
            await pending.Task;
        }

        if (pickErrors.Values.Concat(uploadErrors.Values).FirstOrDefault() is { } refused)
        {
            Refuse(refused); // the chosen file's own reason, not "choose a file"
            return false;
        }

        return true;
    }

    /// <summary>Runs the form's files and settings (<see cref="RunAsync"/>); once the job is made the form forgets its files.</summary>
    public async Task<bool> RunFormAsync(CancellationToken cancellationToken = default)
    {
        if (!await RunAsync([.. passed.Values.Select(upload => upload.Item)], FormValues, cancellationToken))
        {
            return false;
        }

        passed.Clear();
        chosen.Clear();
        FormGeneration++;
        return true;
    }

    /// <summary>Forgets the chosen files; the settings become those of the ended job (on this page or another tab's).</summary>
    private void ResetForm(Job? ended)
    {
        passed.Clear();
        chosen.Clear();
        pickErrors.Clear();
        uploadErrors.Clear();
        FormGeneration++;
        if (ended is not null && ended.ToolKey == tool.Key)
        {
            foreach (var (key, value) in ended.ParameterValues)
            {
                foreach (var parameter in tool.Parameters.Where(p => p.Key == key))
                {
                    choices[parameter] = value;
                }
            }
        }
    }

    /// <summary>The queued job's estimated wait now: it grows while the runs in the slots go on past their estimates.</summary>
    public TimeSpan? EstimatedWait => Job is { Status: JobStatus.Queued } && QueuePosition is { } position
        ? Estimates?.QueueWait(position, clock.GetUtcNow().UtcDateTime)
        : null;

    /// <summary>What is estimated to be left of the shown job's run now (starting or running).</summary>
    public TimeSpan? TimeLeft => Job is { Status: JobStatus.Starting or JobStatus.Running } job ? Estimates?.Remaining(job, clock.GetUtcNow().UtcDateTime) : null;

    public TimeSpan? Elapsed => Job is null ? null
        : (Job.CompletedAt ?? clock.GetUtcNow().UtcDateTime) - RunEstimates.Since(Job);

    /// <summary>The elapsed time as the status line says it ("4:05", "1:02:03").</summary>
    public string ElapsedText => Elapsed is { } elapsed ? elapsed.ToString(elapsed.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", System.Globalization.CultureInfo.InvariantCulture) : "";

    /// <summary>While a job waits, one of a few friendly lines, changing every 8 seconds.</summary>
    public const int QueueMessages = 4;

    /// <summary>Which of the <see cref="QueueMessages"/> lines the queued job shows now.</summary>
    public int QueueMessageIndex => Job is { } job
        ? (int)(Math.Max(0, (clock.GetUtcNow().UtcDateTime - (job.QueuedAt ?? job.CreatedAt)).TotalSeconds) / 8 % QueueMessages)
        : 0;

    /// <summary>The page's own reconcile-and-heartbeat poll while a job is active (SPEC.md: every 15 s).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(15);

    private DateTimeOffset lastPoll;

    /// <summary>
    /// The page's tick, once a second: true while a job is active (its elapsed time moves, the page renders), and then a
    /// poll (<see cref="PollAsync"/>) when <see cref="PollInterval"/> has passed on the clock since the last one.
    /// </summary>
    public async Task<bool> TickAsync(CancellationToken cancellationToken = default)
    {
        if (!IsActive)
        {
            return false;
        }

        if (clock.GetUtcNow() - lastPoll >= PollInterval)
        {
            lastPoll = clock.GetUtcNow();
            await PollAsync(cancellationToken);
        }

        return true;
    }

    public Task InitializeAsync(CancellationToken cancellationToken = default) => InitializeAsync(null, cancellationToken);

    /// <param name="followed">The job the page followed before it moved from another instance: shown ended if it is no longer active.</param>
    public async Task InitializeAsync(Guid? followed, CancellationToken cancellationToken = default)
    {
        lastPoll = clock.GetUtcNow();
        Job = await queries.ActiveAsync(userId, cancellationToken);
        if (Job is null && followed is { } id)
        {
            Job = await queries.GetAsync(id, userId, cancellationToken);
        }

        await SettleAsync(cancellationToken);
    }

    /// <summary>
    /// Uploads the inputs and submits the job. Returns false, doing nothing, when a run is already under way
    /// (the synchronous lock) or a job is active.
    /// </summary>
    public async Task<bool> RunAsync(IReadOnlyList<UploadItem> files, IReadOnlyDictionary<string, string?> parameters,
        CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            return false;
        }

        bool ran;
        try
        {
            ran = await RunOnceAsync(files, parameters, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }

        // The job may have moved on while the run settled its state (it starts at once when a slot is free): the
        // changes heard meanwhile are read now, so the page never stays on a state the job has left.
        if (Interlocked.Exchange(ref changedWhileBusy, 0) == 1)
        {
            await RefreshAsync(cancellationToken);
        }

        return ran;
    }

    private async Task<bool> RunOnceAsync(IReadOnlyList<UploadItem> files, IReadOnlyDictionary<string, string?> parameters,
        CancellationToken cancellationToken)
    {
        try
        {
            if (IsActive)
            {
                return false; // a late second click or Enter: the job it asked for already exists and is shown
            }

            Error = null;

            if (Check(files) is { } problem)
            {
                Error = problem;
                Notify();
                return false;
            }

            // The same limit as the API's submissions; then what can be refused without the files, before any is stored.
            using var submitting = BeginSubmit();
            if (submitting is null || SubmitLimited())
            {
                return false;
            }

            if (await submitJob.PrecheckAsync(userId, tool.Key, parameters, cancellationToken) is { } refused)
            {
                await RefuseAsync(refused, cancellationToken);
                return false;
            }

            var uploads = await UploadAsync(files, cancellationToken);
            if (uploads is null)
            {
                return false;
            }

            Phase = RunnerPhase.Submitting;
            Notify();
            var result = await submitJob.HandleAsync(new SubmitJobRequest(userId, tool.Key, [], parameters) { Uploads = uploads }, cancellationToken);
            if (!result.Succeeded)
            {
                await RefuseAsync(result, cancellationToken);
                return false;
            }

            await ShowSubmittedAsync(result, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or TimeoutException or Microsoft.JSInterop.JSException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Error = new RunnerMessage("Error_UPLOAD_FAILED", ex.Message);
            Phase = RunnerPhase.Ready;
            Notify();
            return false;
        }
    }

    /// <summary>A submit's lease on this instance (the drain waits for it), or null with the page told why: the instance is stopping.</summary>
    private IDisposable? BeginSubmit()
    {
        if (drain is null)
        {
            return Nothing.Instance;
        }

        var lease = drain.TryBeginSubmit();
        if (lease is null)
        {
            Error = new RunnerMessage("Error_" + Drain.DrainSetup.Code);
            Notify();
        }

        return lease;
    }

    private sealed class Nothing : IDisposable
    {
        public static readonly Nothing Instance = new();

        public void Dispose()
        {
        }
    }

    /// <summary>Whether the person's submissions are over their limit (pages and API together); the page then says how long to wait.</summary>
    private bool SubmitLimited()
    {
        if (limits.TryAcquire(RateLimitKey.User(nameof(RateLimitOptions.Submit), userId)) is not { Allowed: false } limited)
        {
            return false;
        }

        Error = new RunnerMessage("RateLimited", limited.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.CurrentCulture));
        Notify();
        return true;
    }

    private async Task ShowSubmittedAsync(SubmitJobResult submitted, CancellationToken cancellationToken)
    {
        Job = submitted.Job;
        QueuePosition = submitted.QueuePosition;
        await SettleAsync(cancellationToken);
    }

    private async Task RefuseAsync(SubmitJobResult result, CancellationToken cancellationToken)
    {
        Error = result.ErrorCode == SubmitErrors.ParameterInvalid && result.ErrorArguments.Count >= 2
            ? ParameterRefusal(result.ErrorArguments)
            : new RunnerMessage("Error_" + result.ErrorCode, [.. result.ErrorArguments]);
        if (result.ErrorCode == SubmitErrors.ActiveJobExists)
        {
            Job = await queries.ActiveAsync(userId, cancellationToken); // another tab or tool started one
        }

        await SettleAsync(cancellationToken, keepError: true);
    }

    /// <summary>A refused parameter, worded by its reason, with the parameter's name in the page's language and the values.</summary>
    private RunnerMessage ParameterRefusal(IReadOnlyList<string> arguments)
    {
        var name = tool.Parameters.FirstOrDefault(p => p.Key == arguments[1])?.DisplayName(System.Globalization.CultureInfo.CurrentUICulture.Name) ?? arguments[1];
        return new RunnerMessage("ParameterError_" + arguments[0], [name, .. arguments.Skip(2).Select(Numbers.Stored)]);
    }

    /// <summary>The browser-side checks again, on the server: every input given, each within its declared size and types.</summary>
    private RunnerMessage? Check(IReadOnlyList<UploadItem> files)
    {
        foreach (var input in tool.Inputs)
        {
            var file = files.FirstOrDefault(f => f.InputKey == input.Key);
            if (file is null)
            {
                return RunnerMessage.ForInput("INPUT_MISSING", input, []);
            }

            if (RunnerMessage.CheckPicked(input, file.Size, file.ContentType) is { } refused)
            {
                return refused;
            }
        }

        return files.FirstOrDefault(f => tool.Inputs.All(i => i.Key != f.InputKey)) is { } extra
            ? new RunnerMessage("Error_INPUT_INVALID", extra.InputKey)
            : null;
    }

    /// <summary>
    /// Waits for every file's upload (each already under way from the browser, or answered), the progress over all of them;
    /// returns the upload ids, or null with the first refusal shown.
    /// </summary>
    private async Task<Dictionary<string, Guid>?> UploadAsync(IReadOnlyList<UploadItem> files, CancellationToken cancellationToken)
    {
        UploadProgress = 0;
        var total = Math.Max(1, files.Sum(f => f.Size));
        var sent = new long[files.Count];
        var sending = files.Select(async (file, index) =>
        {
            void Report(long bytes)
            {
                sent[index] = Math.Min(bytes, file.Size);
                UploadProgress = Math.Min(1, (double)sent.Sum() / total);
                Notify();
            }

            var answer = await file.SendAsync(Report, cancellationToken);
            Report(file.Size); // answered: all of it was sent, whether or not its last report came first
            return answer;
        }).ToList();
        if (!sending.All(upload => upload.IsCompleted))
        {
            Phase = RunnerPhase.Uploading; // the run waits for the uploads still under way, and says so
            Notify();
        }

        var answers = await Task.WhenAll(sending);

        var uploads = new Dictionary<string, Guid>();
        foreach (var (file, answered) in files.Zip(answers))
        {
            var answer = answered ?? new UploadAnswer(null, "UPLOAD_FAILED");
            if (answer.UploadId is { } id)
            {
                uploads[file.InputKey] = id;
                continue;
            }

            await RefuseUploadAsync(tool.Inputs.First(i => i.Key == file.InputKey), answer, cancellationToken);
            if (Phase == RunnerPhase.Uploading)
            {
                Phase = RunnerPhase.Ready;
                Notify();
            }

            return null;
        }

        UploadProgress = 1;
        return uploads;
    }

    /// <summary>A change of one of this user's jobs (or a resync after the realtime connection came back).</summary>
    public async Task OnJobChangedAsync(JobChange change, CancellationToken cancellationToken = default)
    {
        if (IsBusy)
        {
            Interlocked.Exchange(ref changedWhileBusy, 1); // read once the run under way has settled
            return;
        }

        if (change.IsResync || change.JobId == Job?.Id || (Job is null || !IsActive) && JobStatus.Active.Contains(change.Status))
        {
            await RefreshAsync(cancellationToken);
        }
    }

    /// <summary>The page's poll (every 15 s while a job is active): reconcile a running job, keep a queued one's place, refresh.</summary>
    public async Task PollAsync(CancellationToken cancellationToken = default)
    {
        if (Job is null || !IsActive || IsBusy)
        {
            return;
        }

        if (Job.Status == JobStatus.Queued && limits.TryAcquire(RateLimitKey.User(nameof(RateLimitOptions.Heartbeat), userId)).Allowed)
        {
            await heartbeat.BeatAsync(Job.Id, userId, cancellationToken); // over the limit (many tabs), the next poll beats
        }
        else if (Job.Status == JobStatus.Running)
        {
            await reconcileJob.HandleAsync(Job.Id, JobCause.Reconcile, userId, cancellationToken: cancellationToken);
        }

        await RefreshAsync(cancellationToken);
    }

    /// <summary>The queue moved (any user's job entered or left it): the new position of this page's queued job.</summary>
    public async Task OnQueuePositionAsync(int? position, CancellationToken cancellationToken = default)
    {
        if (Job is not { Status: JobStatus.Queued } || IsBusy)
        {
            return;
        }

        if (position is null)
        {
            await RefreshAsync(cancellationToken); // it left the queue: its own change says how
            return;
        }

        QueuePosition = position;
        Estimates = await runTimes.EstimatesAsync(slots, cancellationToken); // the slots moved too
        Notify();
    }

    /// <summary>True while "Check status now" waits for RunningHub's answer (the button is disabled).</summary>
    public bool IsChecking { get; private set; }

    /// <summary>What RunningHub answered to the last "Check status now" (still running, finished, no answer).</summary>
    public RunnerMessage? CheckAnswer { get; private set; }

    /// <summary>"Check status now": asks RunningHub at once and says what it answered.</summary>
    public async Task CheckNowAsync(CancellationToken cancellationToken = default)
    {
        if (IsChecking)
        {
            return;
        }

        IsChecking = true;
        CheckAnswer = null;
        Notify();
        try
        {
            if (limits.TryAcquire(RateLimitKey.User(nameof(RateLimitOptions.Check), userId)) is { Allowed: false } limited)
            {
                CheckAnswer = new RunnerMessage("RateLimited", limited.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.CurrentCulture));
            }
            else if (Job is { Status: JobStatus.Running })
            {
                var result = await reconcileJob.HandleAsync(Job.Id, JobCause.User, userId, cancellationToken: cancellationToken);
                CheckAnswer = new RunnerMessage("Runner_Checked_" + result.Outcome);
            }

            await RefreshAsync(cancellationToken);
        }
        finally
        {
            IsChecking = false;
            Notify();
        }
    }

    public async Task CancelAsync(CancellationToken cancellationToken = default)
    {
        if (Job is null || !IsActive)
        {
            return;
        }

        await cancelJob.HandleAsync(new CancelJobRequest(Job.Id, userId, JobCause.User, JobErrorCodes.CancelledByUser,
            "Cancelled by you. Your credits were returned."), cancellationToken);
        await RefreshAsync(cancellationToken, announceEnd: false);
    }

    /// <summary>
    /// Shows why the endpoint refused an upload (<see cref="RunnerMessage.ForUpload"/>); a job made meanwhile (another tab, or
    /// the API) is shown instead of the form. Answers the refusal, which the page also shows beside the input.
    /// </summary>
    public async Task<RunnerMessage> RefuseUploadAsync(InputDefinition input, UploadAnswer answer, CancellationToken cancellationToken = default)
    {
        var refusal = RunnerMessage.ForUpload(input, answer);
        if (answer.Code == SubmitErrors.ActiveJobExists)
        {
            await RefuseAsync(SubmitJobResult.Rejected(answer.Code, answer.Message ?? "", [.. answer.Arguments ?? []]), cancellationToken);
            return refusal;
        }

        Error = refusal;
        Notify();
        return refusal;
    }

    /// <summary>Shows a refusal the page found itself (a picked file the browser's checks refused), or clears it (null).</summary>
    public void Refuse(RunnerMessage? message)
    {
        Error = message;
        Notify();
    }

    /// <summary>What "Run again" would run (the ended job's files and settings, its cost and the balance), shown before it runs.</summary>
    public RunAgainPlan? Again { get; private set; }

    /// <summary>
    /// "Run again": the ended job's plan is shown to be confirmed; when its files are gone (or the job cannot be run again)
    /// the form comes back with the same settings and says why the files must be chosen again.
    /// </summary>
    public async Task PlanRunAgainAsync(CancellationToken cancellationToken = default)
    {
        var ended = Job;
        await PlanAsync(cancellationToken);
        if (Phase == RunnerPhase.Ready)
        {
            ResetForm(ended);
        }
    }

    private async Task PlanAsync(CancellationToken cancellationToken)
    {
        if (Job is not { } ended || IsActive || IsBusy || JobIsOtherTool)
        {
            return;
        }

        RunAgainPlan? plan;
        try
        {
            plan = await runAgain.PlanAsync(userId, ended.Id, cancellationToken);
        }
        catch (StorageUnavailableException)
        {
            Error = new RunnerMessage("Error_" + StorageUnavailableException.Code);
            Notify();
            return;
        }

        if (plan is { InputsGone: false })
        {
            Again = plan;
            Notify();
            return;
        }

        RunAgain();
        Error = new RunnerMessage("Runner_RunAgainGone");
        Notify();
    }

    /// <summary>The plan's settings that apply, each with its definition (the page says them by name and in its culture).</summary>
    public IEnumerable<(ParameterDefinition Parameter, string Value)> PlanSettings =>
        Again is { } plan ? ToolParameters.Stored(tool, plan.Parameters) : [];

    /// <summary>A stored input as the plan lists it: its name, dimensions and duration.</summary>
    public static string InputFacts(StoredInput input) => string.Join(" · ", new[]
    {
        input.OriginalName,
        input.Width > 0 ? $"{input.Width}×{input.Height}" : null,
        input.DurationSeconds is { } seconds ? TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"m\:ss", System.Globalization.CultureInfo.InvariantCulture) : null,
    }.Where(text => !string.IsNullOrEmpty(text)));

    /// <summary>Runs the shown plan: a new job from copies of the same stored files, charged as any job.</summary>
    public async Task<bool> ConfirmRunAgainAsync(CancellationToken cancellationToken = default)
    {
        var ended = Job;
        var ran = await ConfirmAsync(cancellationToken);
        if (Phase == RunnerPhase.Ready)
        {
            ResetForm(ended);
        }

        return ran;
    }

    private async Task<bool> ConfirmAsync(CancellationToken cancellationToken)
    {
        if (Again is not { } plan || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            using var submitting = BeginSubmit();
            if (submitting is null || SubmitLimited())
            {
                return false;
            }

            Phase = RunnerPhase.Submitting;
            Notify();
            SubmitJobResult result;
            try
            {
                result = await runAgain.HandleAsync(userId, plan.Job.Id, cancellationToken);
            }
            catch (StorageUnavailableException)
            {
                Error = new RunnerMessage("Error_" + StorageUnavailableException.Code);
                await SettleAsync(cancellationToken, keepError: true);
                return false;
            }

            Again = null;
            if (!result.Succeeded)
            {
                if (result.ErrorCode == RunAgainErrors.InputsGone)
                {
                    RunAgain();
                    Error = new RunnerMessage("Runner_RunAgainGone");
                    Notify();
                    return false;
                }

                await RefuseAsync(result, cancellationToken);
                return false;
            }

            await ShowSubmittedAsync(result, cancellationToken);
            return true;
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    /// <summary>"Choose new files": back to the form with the ended job's settings.</summary>
    public void ChooseNewFiles()
    {
        ResetForm(Job);
        RunAgain();
    }

    /// <summary>Back to the form after a finished job.</summary>
    public void RunAgain()
    {
        if (IsActive || IsBusy)
        {
            return;
        }

        Job = null;
        Again = null;
        Error = null;
        CheckAnswer = null;
        QueuePosition = null;
        UploadProgress = 0;
        Phase = RunnerPhase.Ready;
        Notify();
    }

    public Task RefreshAsync(CancellationToken cancellationToken = default) => RefreshAsync(cancellationToken, announceEnd: true);

    private async Task RefreshAsync(CancellationToken cancellationToken, bool announceEnd)
    {
        var followed = IsActive ? Job : null;
        Job = Job is null || !IsActive && Phase == RunnerPhase.Ready
            ? await queries.ActiveAsync(userId, cancellationToken)
            : await queries.GetAsync(Job.Id, userId, cancellationToken) ?? await queries.ActiveAsync(userId, cancellationToken);
        await SettleAsync(cancellationToken, keepError: true);
        if (announceEnd && followed is not null && Job is { } now && now.Id == followed.Id && JobStatus.Terminal.Contains(now.Status))
        {
            Ended?.Invoke(now);
        }
    }

    private async Task SettleAsync(CancellationToken cancellationToken, bool keepError = false)
    {
        if (JobIsOtherTool && !IsActive)
        {
            Job = null; // the job in another tool ended: this page offers its own form again
        }

        if (!keepError)
        {
            Error = null;
        }

        QueuePosition = Job is { Status: JobStatus.Queued } queued ? await queueView.PositionAsync(queued.Id, cancellationToken) : null;
        Estimates = await runTimes.EstimatesAsync(slots, cancellationToken);
        Balance = await queries.BalanceAsync(userId, cancellationToken);

        Phase = Job is null ? RunnerPhase.Ready : IsActive ? RunnerPhase.Active : RunnerPhase.Finished;
        Notify();
    }

    private void Notify() => Changed?.Invoke();
}
