using Bunit;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Simulator;
using MudBlazor;
using JobHub.Web.Components.Jobs;
using JobHub.Web.Jobs;
using JobHub.Web.Realtime;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Components;

/// <summary>
/// The tool page's <see cref="JobRunner"/> (bUnit) on the real engine: PostgreSQL, the job engine with its fake RunningHub
/// client. Each phase a person meets: ready, a file refused before upload, uploading, queued with a position, starting,
/// running, completed, failed with the refund note, cancelled (asked first while queued), and another tool's job in progress.
/// </summary>
public sealed class JobRunnerTests : EngineComponentTests
{
    private IRenderedComponent<JobRunner> RenderFor(Guid user, string toolKey = "pose-changer", bool interactive = true)
    {
        SignIn(user);
        Interactive(interactive);
        return Ui.Render<JobRunner>(ps => ps.Add(p => p.ToolKey, toolKey));
    }

    /// <summary>The state a paused circuit hands to the browser, and the browser to the next instance.</summary>
    private sealed class HandedOver : Microsoft.AspNetCore.Components.IPersistentComponentStateStore
    {
        public Dictionary<string, byte[]> State { get; } = [];

        public Task<IDictionary<string, byte[]>> GetPersistedStateAsync() => Task.FromResult<IDictionary<string, byte[]>>(State);

        public Task PersistStateAsync(IReadOnlyDictionary<string, byte[]> state)
        {
            foreach (var (key, value) in state)
            {
                State[key] = value;
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>The page resumed on this instance after its circuit paused on another with <paramref name="kept"/>.</summary>
    private async Task<IRenderedComponent<JobRunner>> RenderMovedForAsync(Guid user, string toolKey, RunnerSnapshot kept)
    {
        SignIn(user);
        Interactive();
        var handedOver = new HandedOver();
        handedOver.State["runner:" + toolKey] = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(kept, System.Text.Json.JsonSerializerOptions.Web);
        await Ui.Services.GetRequiredService<Microsoft.AspNetCore.Components.Infrastructure.ComponentStatePersistenceManager>().RestoreStateAsync(handedOver);
        return Ui.Render<JobRunner>(ps => ps.Add(p => p.ToolKey, toolKey));
    }

    /// <summary>What the page hands over when its circuit pauses now.</summary>
    private async Task<RunnerSnapshot?> PauseAsync(IRenderedComponent<JobRunner> cut, string toolKey)
    {
        var handedOver = new HandedOver();
        var manager = Ui.Services.GetRequiredService<Microsoft.AspNetCore.Components.Infrastructure.ComponentStatePersistenceManager>();
        await cut.InvokeAsync(() => manager.PersistStateAsync(handedOver, Ui.Renderer));
        return handedOver.State.TryGetValue("runner:" + toolKey, out var bytes)
            ? System.Text.Json.JsonSerializer.Deserialize<RunnerSnapshot>(bytes, System.Text.Json.JsonSerializerOptions.Web)
            : null;
    }

    /// <summary>The page's circuit, or (false) the page as prerendered before its circuit is up.</summary>
    private void Interactive(bool interactive = true) =>
        Ui.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo(interactive ? "Server" : "Static", interactive));

    private static void WaitForPhase(IRenderedComponent<JobRunner> cut, RunnerPhase phase) =>
        cut.WaitForAssertion(() => Assert.Equal(phase.ToString(), cut.Find(".jobhub-runner").GetAttribute("data-phase")), TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Ready_OffersAFileInputPerInput_TheCost_AndRun()
    {
        var user = await H.CreateUserAsync(10);

        var cut = RenderFor(user);

        WaitForPhase(cut, RunnerPhase.Ready);
        Assert.NotNull(cut.Find("input#input-person[type=file]"));
        Assert.NotNull(cut.Find("input#input-pose[type=file]"));
        Assert.Contains("3", cut.Find("#cost").TextContent);
        Assert.False(cut.Find("button#run").HasAttribute("disabled"));
        Assert.Empty(cut.FindAll("#job"));
    }

    [Theory]
    [InlineData("image-upscaler")]
    [InlineData("video-upscaler")]
    [InlineData("pose-changer")]
    [InlineData("virtual-try-on")]
    public async Task EveryToolPage_ShowsTheCost_TheEstimatedTime_AndTheBalance_BeforeRunning(string toolKey)
    {
        var user = await H.CreateUserAsync(7);

        var cut = RenderFor(user, toolKey);

        WaitForPhase(cut, RunnerPhase.Ready);
        var tool = ComponentContext.Catalog.Find(toolKey)!;
        var defaults = tool.Parameters.Where(p => p.Default is not null).DistinctBy(p => p.Key).ToDictionary(p => p.Key, p => p.Default!);
        Assert.Contains(tool.CostFor(defaults).ToString(System.Globalization.CultureInfo.InvariantCulture), cut.Find("#before-run #cost").TextContent);
        Assert.Matches(@"\d+ (s|min|h)", cut.Find("#before-run #estimate").TextContent);
        Assert.Contains("7", cut.Find("#before-run #balance").TextContent);
    }

    /// <summary>
    /// A file chosen in zone <paramref name="zone"/> as the browser reports it: its upload started (serial
    /// <paramref name="serial"/>), nothing of it in the circuit.
    /// </summary>
    private static Task PickAsync(IRenderedComponent<JobRunner> cut, int zone, string name, int size = 1000, int serial = 0) =>
        cut.InvokeAsync(() => cut.FindComponents<FileDrop>()[zone].Instance.Picked(new PickedFile(name, size, "image/png", serial)));

    /// <summary>The browser's report of the upload endpoint's answer for the file chosen in zone <paramref name="zone"/>.</summary>
    private static Task AnswerAsync(IRenderedComponent<JobRunner> cut, int zone, UploadAnswer answer, int serial = 0) =>
        cut.InvokeAsync(() => cut.FindComponents<FileDrop>()[zone].Instance.Uploaded(serial, answer));

    /// <summary>A file stored for the user as the upload endpoint stores it, and the endpoint's answer.</summary>
    private async Task<UploadAnswer> StoredAsync(Guid user, string input, byte shade = 1) =>
        UploadAnswer.From(await H.StoreInput.HandleAsync(user, "pose-changer", input, new MemoryStream(SampleMedia.Png(64, 64, shade)), "p.png", long.MaxValue, default));

    [Fact]
    public async Task AnUploadUnderWayAtRun_RunWaitsForIt_SayingSo_WithTheBrowsersProgress_ThenSubmitsItsId()
    {
        var user = await H.CreateUserAsync(10);
        var person = await StoredAsync(user, "person");
        var pose = await StoredAsync(user, "pose", 2);
        var cut = RenderFor(user);
        WaitForPhase(cut, RunnerPhase.Ready);
        await PickAsync(cut, 0, "person.png", 3000, serial: 1);
        await PickAsync(cut, 1, "pose.png", 1000, serial: 2);
        await AnswerAsync(cut, 1, pose, serial: 2); // the pose is stored before Run
        await cut.InvokeAsync(() => cut.FindComponents<FileDrop>()[0].Instance.UploadProgress(1, 1000));
        cut.WaitForAssertion(() => Assert.Equal("33", cut.Find("#drop-progress-person").GetAttribute("data-progress"))); // in the zone, before Run
        Assert.Equal("stored", cut.Find("#drop-pose").GetAttribute("data-upload"));
        Assert.False(cut.Find("button#run").HasAttribute("disabled"));

        var running = cut.Find("form#tool-form").SubmitAsync();

        WaitForPhase(cut, RunnerPhase.Uploading);
        cut.WaitForAssertion(() => Assert.Equal("50", cut.Find("#upload-progress").GetAttribute("data-progress"))); // 1000 + 1000 of 4000
        Assert.True(cut.Find("button#run").HasAttribute("disabled"));
        Assert.Contains("Waiting for the upload (50%)", cut.Find("button#run").TextContent);
        Assert.Null(await H.Services.GetRequiredService<JobQueries>().ActiveAsync(user)); // nothing created yet
        Assert.DoesNotContain(Ui.JSInterop.Invocations, call => call.Identifier.Contains("upload", StringComparison.Ordinal)); // Run sends nothing itself

        await cut.InvokeAsync(() => cut.FindComponents<FileDrop>()[0].Instance.UploadProgress(1, 2000));
        cut.WaitForAssertion(() => Assert.Equal("75", cut.Find("#upload-progress").GetAttribute("data-progress")));
        Assert.Contains("75%", cut.Find("#upload-progress").TextContent);
        await AnswerAsync(cut, 0, person, serial: 1);
        await running;

        WaitForPhase(cut, RunnerPhase.Active);
        var job = await H.Services.GetRequiredService<JobQueries>().ActiveAsync(user);
        Assert.Equal(2, job!.InputFiles.Count);
        Assert.Empty(cut.FindAll("#upload-progress"));
    }

    [Fact]
    public async Task AnUploadTheEndpointRefused_IsExplainedBesideItsInput_BeforeRun_RunStaysDisabled_UntilTheFileIsReplaced()
    {
        var user = await H.CreateUserAsync(10);
        var cut = RenderFor(user);
        WaitForPhase(cut, RunnerPhase.Ready);
        await PickAsync(cut, 0, "person.png", serial: 1);
        await PickAsync(cut, 1, "pose.png", serial: 2);

        await AnswerAsync(cut, 0, new UploadAnswer(null, "INPUT_WRONG_TYPE", "The file is MP4; accepted: JPEG, PNG, WebP.", ["MP4", "JPEG, PNG, WebP"]), serial: 1);
        await AnswerAsync(cut, 1, await StoredAsync(user, "pose"), serial: 2);

        cut.WaitForAssertion(() => Assert.Contains("MP4", cut.Find("#input-error-person").TextContent));
        Assert.Contains("JPEG, PNG, WebP", cut.Find("#input-error-person").TextContent);
        Assert.Contains("MP4", cut.Find("#runner-error").TextContent);
        Assert.Equal("refused", cut.Find("#drop-person").GetAttribute("data-upload"));
        Assert.True(cut.Find("button#run").HasAttribute("disabled"));
        await cut.Find("form#tool-form").SubmitAsync(); // Enter on the form: still nothing
        Assert.Null(await H.Services.GetRequiredService<JobQueries>().ActiveAsync(user));

        // A late answer for the file it replaced changes nothing; the new file's upload does.
        await PickAsync(cut, 0, "other.png", serial: 3);
        await AnswerAsync(cut, 0, new UploadAnswer(null, "RATE_LIMITED", "Too many requests.") { RetryAfter = 42 }, serial: 1);
        Assert.Empty(cut.FindAll("#input-error-person"));
        await AnswerAsync(cut, 0, new UploadAnswer(null, "RATE_LIMITED", "Too many requests.") { RetryAfter = 42 }, serial: 3);
        cut.WaitForAssertion(() => Assert.Contains("42", cut.Find("#input-error-person").TextContent));
        await PickAsync(cut, 0, "third.png", serial: 4);
        await AnswerAsync(cut, 0, await StoredAsync(user, "person", 3), serial: 4);
        cut.WaitForAssertion(() => Assert.False(cut.Find("button#run").HasAttribute("disabled")));
        Assert.Empty(cut.FindAll("#runner-error"));

        await cut.Find("form#tool-form").SubmitAsync();

        WaitForPhase(cut, RunnerPhase.Active);
        Assert.Equal(10 - 3, await H.BalanceAsync(user));
    }

    [Fact]
    public async Task AnUploadRefusedForAnotherJob_ShowsThatJob_InsteadOfTheForm()
    {
        var user = await H.CreateUserAsync(10);
        var cut = RenderFor(user);
        WaitForPhase(cut, RunnerPhase.Ready);
        await PickAsync(cut, 0, "person.png", serial: 1);
        var other = await H.SubmitAsync(user); // another tab made a job meanwhile

        await AnswerAsync(cut, 0, new UploadAnswer(null, SubmitErrors.ActiveJobExists, "busy"), serial: 1);

        WaitForPhase(cut, RunnerPhase.Active);
        Assert.Equal(other.Job!.Id.ToString(), cut.Find("#job").GetAttribute("data-job"));
    }

    [Fact]
    public async Task BeforeThePageIsInteractive_RunSaysItIsGettingReady_TakesNoClick_AndAFileChosenIsSaidToBeKept()
    {
        var user = await H.CreateUserAsync(10);
        var cut = RenderFor(user, "image-upscaler", interactive: false);

        WaitForPhase(cut, RunnerPhase.Ready);
        Assert.True(cut.Find("button#run").HasAttribute("disabled"));
        Assert.Equal("no", cut.Find("button#run").GetAttribute("data-ready"));
        Assert.Contains("Getting ready", cut.Find("button#run").TextContent);
        Assert.NotEmpty(cut.FindAll("#tool-form button.mud-chip"));
        Assert.All(cut.FindAll("#tool-form button.mud-chip"), chip => Assert.True(chip.HasAttribute("disabled"))); // no choice is lost either
        Assert.False(cut.Find("input#input-image").HasAttribute("disabled")); // a file can be chosen: the browser keeps it
        Assert.Contains("already uploading", cut.Find("#kept-image").TextContent);
    }

    [Fact]
    public async Task AStartingJob_SaysItIsStarting_ThenRunning()
    {
        H.RunningHub.HoldStarts(); // RunningHub has not answered the start yet
        var user = await H.CreateUserAsync(10);
        var job = (await H.SubmitAsync(user)).Job!;
        Assert.Equal(JobStatus.Starting, (await H.GetJobAsync(job.Id)).Status);

        var cut = RenderFor(user);

        WaitForPhase(cut, RunnerPhase.Active);
        Assert.Equal(JobStatus.Starting, cut.Find("#job").GetAttribute("data-status"));
        Assert.Contains("Starting", cut.Find("#job-status").TextContent);
        Assert.NotNull(cut.Find("#job .mud-progress-linear"));
        Assert.Empty(cut.FindAll("#queue-message"));

        H.RunningHub.ReleaseHeldStarts();
        await H.Launcher.WhenIdleAsync();
        await PublishAsync(job, JobStatus.Running);

        cut.WaitForAssertion(() => Assert.Equal(JobStatus.Running, cut.Find("#job").GetAttribute("data-status")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AQueuedJob_ShowsItsPlace_AndMovesUpWhenTheQueueMoves()
    {
        H.RunningHub.HoldStarts(); // the three slots stay taken (starting) until released
        try
        {
            await QueuedBehindAsync();
        }
        finally
        {
            H.RunningHub.ReleaseHeldStarts();
        }
    }

    private async Task QueuedBehindAsync()
    {
        for (var i = 0; i < H.MaxConcurrent; i++)
        {
            await H.SubmitAsync(await H.CreateUserAsync(10));
        }

        var ahead = (await H.SubmitAsync(await H.CreateUserAsync(10))).Job!;
        var user = await H.CreateUserAsync(10);
        var mine = (await H.SubmitAsync(user)).Job!;
        Assert.Equal(JobStatus.Queued, mine.Status);

        SignIn(user);
        Interactive();
        var dialogs = Ui.Render<MudDialogProvider>();
        var cut = Ui.Render<JobRunner>(ps => ps.Add(p => p.ToolKey, "pose-changer"));

        WaitForPhase(cut, RunnerPhase.Active);
        Assert.Equal(JobStatus.Queued, cut.Find("#job").GetAttribute("data-status"));
        Assert.Contains("position 2", cut.Find("#job-status").TextContent);
        Assert.NotEmpty(cut.Find("#queue-message").TextContent);
        Assert.Contains("more than 2 minutes", cut.Find("#heartbeat-note").TextContent); // the default QueueHeartbeatTimeout
        var firstMessage = cut.Find("#queue-message").TextContent;
        H.Clock.Advance(TimeSpan.FromSeconds(8));
        cut.WaitForAssertion(() => Assert.NotEqual(firstMessage, cut.Find("#queue-message").TextContent), TimeSpan.FromSeconds(5));

        await H.Cancel.HandleAsync(new CancelJobRequest(ahead.Id, null, JobCause.Admin, JobErrorCodes.CancelledByAdmin, "test"));
        await H.Services.GetRequiredService<QueuePositionFeed>().QueueChangedAsync();

        cut.WaitForAssertion(() => Assert.Contains("position 1", cut.Find("#job-status").TextContent), TimeSpan.FromSeconds(10));

        // Giving up a place in the queue is asked first (SPEC.md), in a dialog: "no" keeps the place, "yes" cancels and refunds.
        cut.Find("button#cancel").Click();
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.Find(".mud-dialog #confirm-question")));
        dialogs.Find("button#confirm-no").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")));
        Assert.Equal(JobStatus.Queued, (await H.GetJobAsync(mine.Id)).Status);
        cut.Find("button#cancel").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("button#confirm-yes").Click());
        cut.WaitForAssertion(() => Assert.Equal(JobStatus.Cancelled, cut.Find("#job").GetAttribute("data-status")), TimeSpan.FromSeconds(10));
        Assert.NotNull(cut.Find("#refund-note"));
        Assert.Equal(10, await H.BalanceAsync(user));
    }

    [Fact]
    public async Task ARunningJob_ShowsProgress_CheckNow_AndCancel_ThenTheResultWhenItCompletes()
    {
        var job = await H.RunningJobAsync(credits: 10);

        var cut = RenderFor(job.UserId);

        WaitForPhase(cut, RunnerPhase.Active);
        Assert.Equal(JobStatus.Running, cut.Find("#job").GetAttribute("data-status"));
        Assert.NotNull(cut.Find("#job .mud-progress-linear"));
        Assert.Empty(cut.FindAll("#queue-message"));
        Assert.NotNull(cut.Find("button#check-now"));
        Assert.NotNull(cut.Find("button#cancel"));

        await H.Finish.CompleteAsync(job.Id, [new JobOutput("https://rh.example/o.png", "9", "png")], null, JobCause.Webhook);
        await PublishAsync(job, JobStatus.Completed);

        cut.WaitForAssertion(() => Assert.Equal(JobStatus.Completed, cut.Find("#job").GetAttribute("data-status")), TimeSpan.FromSeconds(10));
        Assert.NotNull(cut.Find("#result"));
        Assert.Empty(cut.FindAll("#job .mud-progress-linear"));
        Assert.NotNull(cut.Find("button#run-again"));
    }

    [Fact]
    public async Task ARunningJob_IsPolled_WhenFifteenSecondsPassOnTheClock()
    {
        var job = await H.RunningJobAsync(credits: 10);
        var cut = RenderFor(job.UserId);
        WaitForPhase(cut, RunnerPhase.Active);
        Assert.Empty(H.RunningHub.Queries); // the ticks before 15 s on the clock poll nothing (JobRunnerModelTests)

        H.Clock.Advance(JobRunnerModel.PollInterval);

        cut.WaitForAssertion(() => Assert.Single(H.RunningHub.Queries), TimeSpan.FromSeconds(5));
        Assert.Equal(job.TaskId, H.RunningHub.Queries.Single().TaskId);
    }

    [Fact]
    public async Task MovedFromAnotherInstance_TheFormComesBackWithItsChoices_AndKeepsThemForTheNextMove()
    {
        var user = await H.CreateUserAsync(10);
        var version = ComponentContext.Catalog.Find("image-upscaler")!.Parameters.FindIndex(p => p.Key == "version");

        var cut = await RenderMovedForAsync(user, "image-upscaler", new RunnerSnapshot(new() { [version] = "pro" }, null));

        WaitForPhase(cut, RunnerPhase.Ready);
        Assert.Contains("mud-chip-selected", cut.Find("#param-version [data-value='pro']").ClassName);
        Assert.Contains("4", cut.Find("#cost").TextContent); // the pro version's cost
        var kept = await PauseAsync(cut, "image-upscaler");
        Assert.Equal("pro", kept!.Choices[version]);
    }

    [Fact]
    public async Task MovedFromAnotherInstance_WhileItsJobEnded_ShowsThatJobEnded()
    {
        var job = await H.RunningJobAsync(credits: 10);
        await H.Finish.FailAsync(job.Id, new JobFailure(JobErrorCodes.RunningHubError, "CUDA out of memory", "805", "CUDA out of memory"),
            JobCause.Webhook, [JobStatus.Running]);

        var cut = await RenderMovedForAsync(job.UserId, "pose-changer", new RunnerSnapshot([], job.Id));

        WaitForPhase(cut, RunnerPhase.Finished);
        Assert.Equal(job.Id.ToString(), cut.Find("#job").GetAttribute("data-job"));
        Assert.Contains("CUDA out of memory", cut.Find("#job-error").TextContent);
    }

    [Fact]
    public async Task AFailedJob_SaysRunningHubsWords_AndThatTheCreditsCameBack()
    {
        var job = await H.RunningJobAsync(credits: 10);
        var cut = RenderFor(job.UserId);
        WaitForPhase(cut, RunnerPhase.Active);

        await H.Finish.FailAsync(job.Id, new JobFailure(JobErrorCodes.RunningHubError, "CUDA out of memory", "805", "CUDA out of memory"),
            JobCause.Webhook, [JobStatus.Running]);
        await PublishAsync(job, JobStatus.Failed);

        WaitForPhase(cut, RunnerPhase.Finished);
        Assert.Equal(JobStatus.Failed, cut.Find("#job").GetAttribute("data-status"));
        Assert.Contains("CUDA out of memory", cut.Find("#job-error").TextContent);
        Assert.Contains("3 credits were returned", cut.Find("#refund-note").TextContent);
        Assert.Equal(10, await H.BalanceAsync(job.UserId));
        // Announced: a tone and, when allowed, a notification (the browser's part), and a snackbar on the page.
        cut.WaitForAssertion(() => Assert.Contains("your job failed", Assert.Single(Ui.JSInterop.Invocations["jobhub.jobEnded"]).Arguments[1] as string ?? ""));
        Assert.Contains(Ui.Services.GetRequiredService<ISnackbar>().ShownSnackbars, shown => shown.Message?.Contains("your job failed") == true);
    }

    [Fact]
    public async Task AChosenFile_IsPreviewedWithWhatItMeasures_AndOneOverTheLimits_IsRefusedBeforeAnyUpload()
    {
        var user = await H.CreateUserAsync(10);
        // What the browser measures of the chosen files (app.js jobhub.preview).
        Ui.JSInterop.Setup<FileDrop.FilePreview?>("jobhub.preview", "input-person").SetResult(new("blob:person", 9000, 600, null));
        Ui.JSInterop.Setup<FileDrop.FilePreview?>("jobhub.preview", "input-pose").SetResult(new("blob:pose", 640, 480, null));
        var cut = RenderFor(user);
        WaitForPhase(cut, RunnerPhase.Ready);
        Assert.Contains("paste", cut.Find("#drop-person").TextContent);
        Assert.Equal("image", cut.Find("input#input-person").GetAttribute("data-paste"));

        await PickAsync(cut, 0, "person.png");
        await PickAsync(cut, 1, "pose.png");

        cut.WaitForAssertion(() => Assert.Equal("blob:pose", cut.Find("img#preview-pose").GetAttribute("src")));
        Assert.Contains("640 × 480 px", cut.Find("#facts-pose").TextContent);
        Assert.Contains("9000×600", cut.Find("#input-error-person").TextContent); // the server's words for the same limit
        Assert.Contains("8192×8192", cut.Find("#input-error-person").TextContent);
        Assert.Contains("jobhub-drop-refused", cut.Find("#drop-person").ClassList);

        await cut.Find("form#tool-form").SubmitAsync();

        Assert.Contains("9000×600", cut.Find("#runner-error").TextContent);
        Assert.Empty(cut.FindAll("#upload-progress"));
        Assert.Null(await H.Services.GetRequiredService<JobQueries>().ActiveAsync(user));
        Assert.Equal(10, await H.BalanceAsync(user));
    }

    [Fact]
    public async Task RunClickedWhileAChosenFileIsStillMeasured_WaitsForIt_ThenRunsWithIt()
    {
        var user = await H.CreateUserAsync(10);
        var personMeasured = Ui.JSInterop.Setup<FileDrop.FilePreview?>("jobhub.preview", "input-person"); // answers when the test says
        Ui.JSInterop.Setup<FileDrop.FilePreview?>("jobhub.preview", "input-pose").SetResult(new("blob:pose", 640, 480, null));
        var cut = RenderFor(user);
        WaitForPhase(cut, RunnerPhase.Ready);
        await PickAsync(cut, 1, "pose.png", serial: 2);
        await AnswerAsync(cut, 1, await StoredAsync(user, "pose", 2), serial: 2);
        var picking = cut.InvokeAsync(() => cut.FindComponents<FileDrop>()[0].Instance.Picked(new PickedFile("person.png", 1000, "image/png", 1)));
        await AnswerAsync(cut, 0, await StoredAsync(user, "person"), serial: 1); // stored while the browser still measures it

        var running = cut.Find("form#tool-form").SubmitAsync();

        // bUnit fails an unanswered JS call after a second: only in-memory looks until the browser's answer.
        Assert.False(picking.IsCompleted);
        Assert.False(running.IsCompleted);
        Assert.Empty(cut.FindAll("#runner-error")); // not "choose a file": the file is chosen, only not yet measured

        personMeasured.SetResult(new("blob:person", 64, 64, null));
        await running;

        WaitForPhase(cut, RunnerPhase.Active);
        Assert.NotNull(await H.Services.GetRequiredService<JobQueries>().ActiveAsync(user));
        Assert.Equal(10 - 3, await H.BalanceAsync(user));
    }

    [Fact]
    public async Task CancellingARunningJob_CancelsAndRefunds()
    {
        var job = await H.RunningJobAsync(credits: 10);
        var cut = RenderFor(job.UserId);
        WaitForPhase(cut, RunnerPhase.Active);

        // Found and clicked in one renderer turn: a live update between the two would drop the button's handler.
        await cut.InvokeAsync(() => cut.Find("button#cancel").Click());

        cut.WaitForAssertion(() => Assert.Equal(JobStatus.Cancelled, cut.Find("#job").GetAttribute("data-status")), TimeSpan.FromSeconds(10));
        Assert.NotNull(cut.Find("#refund-note"));
        Assert.Equal(JobStatus.Cancelled, (await H.GetJobAsync(job.Id)).Status);
        Assert.Equal(10, await H.BalanceAsync(job.UserId));
    }

    [Fact]
    public async Task AnotherToolsJobInProgress_IsShownWithALinkToItsPage_AndNoForm()
    {
        var job = await H.RunningJobAsync(credits: 10, toolKey: "pose-changer");

        var cut = RenderFor(job.UserId, "image-upscaler");

        WaitForPhase(cut, RunnerPhase.Active);
        Assert.Equal("/tools/pose-changer", cut.Find("#other-tool-job a").GetAttribute("href"));
        Assert.Empty(cut.FindAll("#tool-form"));
    }
}
