using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.RunningHub;
using JobHub.Core.Tools;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using JobHub.Web.Realtime;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Web;

/// <summary>The JobRunner's logic without a browser: every state, the errors of upload and submit, and the lock under concurrent calls.</summary>
public sealed class JobRunnerModelTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private ToolDefinition Tool(string key = "pose-changer") => h.Services.GetRequiredService<ToolCatalog>().Find(key)!;

    private JobRunnerModel Model(Guid user, string tool = "pose-changer") => new(Tool(tool), sender = user,
        h.Services.GetRequiredService<JobQueries>(), h.Submit, h.Services.GetRequiredService<RunAgain>(), h.Cancel, h.Reconcile,
        h.Services.GetRequiredService<QueueHeartbeat>(), h.Queue, h.Services.GetRequiredService<RunTimes>(),
        h.Services.GetRequiredService<JobHub.Core.Limits.RateLimits>(), h.MaxConcurrent, h.Clock);

    // The user whose page sends the files (each test has one at a time).
    private Guid sender;

    private UploadItem File(string key, byte[] bytes, string type = "image/png", Func<Stream>? open = null, string tool = "pose-changer") =>
        TestUploads.Item(h.StoreInput, sender, tool, key, bytes, type, open);

    private IReadOnlyList<UploadItem> PoseFiles() =>
        [File("person", SampleMedia.Png(40, 30, 1)), File("pose", SampleMedia.Png(40, 30, 2))];

    private static readonly IReadOnlyDictionary<string, string?> NoParameters = new Dictionary<string, string?>();

    [Fact]
    public void AnUploadRefusedForItsSize_SaysItsFiguresInThePagesCulture()
    {
        var (culture, uiCulture) = (System.Globalization.CultureInfo.CurrentCulture, System.Globalization.CultureInfo.CurrentUICulture);
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.GetCultureInfo("pt-BR");
            var refusal = RunnerMessage.ForUpload(Tool().Inputs[0], new UploadAnswer(null, "INPUT_TOO_LARGE", "too large", ["30.5", "20"]));

            Assert.Equal(["30,5", "20"], refusal.Arguments.Skip(1));
        }
        finally
        {
            (System.Globalization.CultureInfo.CurrentCulture, System.Globalization.CultureInfo.CurrentUICulture) = (culture, uiCulture);
        }
    }

    [Fact]
    public async Task Run_GoesReadyUploadingSubmittingActive_ThenFinishedWithTheResult_ThenReadyAgain()
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        var phases = new List<RunnerPhase>();
        model.Changed += () => { if (phases.LastOrDefault() != model.Phase) phases.Add(model.Phase); };
        await model.InitializeAsync();
        Assert.Equal(RunnerPhase.Ready, model.Phase);

        Assert.True(await model.RunAsync(PoseFiles(), NoParameters));
        await h.Launcher.WhenIdleAsync();
        await model.RefreshAsync();
        Assert.Equal((RunnerPhase.Active, JobStatus.Running), (model.Phase, model.Job!.Status));
        Assert.Equal(1, model.UploadProgress);

        await h.Finish.CompleteAsync(model.Job.Id, [new JobOutput("https://rh.test/o.png", "9", "png")], null, JobCause.Webhook);
        await model.OnJobChangedAsync(new JobChange(model.Job.Id, user, JobStatus.Completed));
        Assert.Equal((RunnerPhase.Finished, JobStatus.Completed), (model.Phase, model.Job!.Status));
        Assert.Equal([RunnerPhase.Ready, RunnerPhase.Uploading, RunnerPhase.Submitting, RunnerPhase.Active, RunnerPhase.Finished], phases);

        model.RunAgain();
        Assert.Equal((RunnerPhase.Ready, (Job?)null), (model.Phase, model.Job));
    }

    /// <summary>A page whose job completed: the state "Run again" starts from.</summary>
    private async Task<JobRunnerModel> FinishedAsync(Guid user)
    {
        var model = Model(user);
        await model.InitializeAsync();
        Assert.True(await model.RunAsync(PoseFiles(), NoParameters));
        await h.Launcher.WhenIdleAsync();
        await h.Finish.CompleteAsync(model.Job!.Id, [new JobOutput("https://rh.test/o.png", "9", "png")], null, JobCause.Webhook);
        await model.OnJobChangedAsync(new JobChange(model.Job.Id, user, JobStatus.Completed));
        Assert.Equal(RunnerPhase.Finished, model.Phase);
        return model;
    }

    [Fact]
    public async Task RunAgain_ShowsTheFilesSettingsCostAndBalance_ThenRunsANewJobFromTheSameStoredFiles()
    {
        var user = await h.CreateUserAsync(10);
        var model = await FinishedAsync(user);
        var ended = model.Job!;
        var balance = await h.BalanceAsync(user);

        await model.PlanRunAgainAsync();

        Assert.Equal(RunnerPhase.Finished, model.Phase);
        Assert.Equal((ended.Id, ended.CreditCost, balance, true), (model.Again!.Job.Id, model.Again.Cost, model.Again.Balance, model.Again.CanAfford));
        Assert.Equal(ended.InputFiles.Select(i => i.OriginalName), model.Again.Inputs.Select(i => i.OriginalName));

        Assert.True(await model.ConfirmRunAgainAsync());

        Assert.Null(model.Again);
        Assert.NotEqual(ended.Id, model.Job!.Id);
        Assert.True(model.IsActive);
        Assert.Equal(balance - ended.CreditCost, await h.BalanceAsync(user));
        Assert.Equal(ended.InputFiles.Select(i => (i.Key, i.Bytes, i.Width)), model.Job.InputFiles.Select(i => (i.Key, i.Bytes, i.Width)));
    }

    [Fact]
    public async Task RunAgain_WithTooFewCredits_SaysSo_AndRunsNothing()
    {
        var user = await h.CreateUserAsync(10);
        var model = await FinishedAsync(user);
        await h.Db.ExecuteAsync($"UPDATE users SET credit_balance = 0 WHERE id = {user}");
        var jobs = await h.ScalarAsync<long>($"SELECT count(*) FROM jobs");

        await model.PlanRunAgainAsync();
        Assert.False(model.Again!.CanAfford);
        Assert.False(await model.ConfirmRunAgainAsync());

        Assert.Equal("Error_" + SubmitErrors.InsufficientCredits, model.Error!.Key);
        Assert.Equal(jobs, await h.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task RunAgain_WhenTheFilesAreGone_BringsBackTheFormAndSaysWhy()
    {
        var user = await h.CreateUserAsync(10);
        var model = await FinishedAsync(user);
        await h.Db.ExecuteAsync($"UPDATE jobs SET files_deleted_at = now() WHERE id = {model.Job!.Id}");

        await model.PlanRunAgainAsync();

        Assert.Equal((RunnerPhase.Ready, (Job?)null, (RunAgainPlan?)null), (model.Phase, model.Job, model.Again));
        Assert.Equal("Runner_RunAgainGone", model.Error!.Key);
    }

    [Fact]
    public async Task QueuedJob_ShowsItsPosition_PollSendsTheHeartbeat_CancelEndsIt()
    {
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            await h.RunningJobAsync();
        }

        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        await model.InitializeAsync();
        await model.RunAsync(PoseFiles(), NoParameters);
        Assert.Equal((JobStatus.Queued, 1), (model.Job!.Status, model.QueuePosition));
        Assert.True(model.CancelNeedsConfirmation);

        h.Clock.Advance(TimeSpan.FromSeconds(30));
        await model.PollAsync();
        Assert.Equal(h.Clock.GetUtcNow().UtcDateTime, (await h.GetJobAsync(model.Job.Id)).LastHeartbeatAt);

        var ended = new List<Job>();
        model.Ended += ended.Add;
        await model.CancelAsync();
        Assert.Equal((RunnerPhase.Finished, JobStatus.Cancelled, JobErrorCodes.CancelledByUser), (model.Phase, model.Job!.Status, model.Job.ErrorCode));
        Assert.Equal(10, await h.BalanceAsync(user));
        Assert.Empty(ended); // the page's own cancel is no news to the person who clicked it
    }

    [Fact]
    public async Task AJobThatEnds_WhileThePageFollowsIt_IsAnnouncedOnce_WithTheWaitAndRunEstimatedBefore()
    {
        // Recent history: one pose-changer run of two minutes.
        var earlier = await h.RunningJobAsync();
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        await h.Finish.CompleteAsync(earlier.Id, [new JobOutput("https://rh.test/o.png", "9", "png")], null, JobCause.Webhook);
        h.Clock.Advance(RunTimes.KeepFor);
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            await h.RunningJobAsync();
        }

        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        var ended = new List<Job>();
        model.Ended += ended.Add;
        await model.InitializeAsync();
        await model.RunAsync(PoseFiles(), NoParameters);
        Assert.Equal((JobStatus.Queued, 1), (model.Job!.Status, model.QueuePosition));
        Assert.Equal(TimeSpan.FromMinutes(2), model.EstimatedWait); // one run of the slots ahead
        Assert.Equal(TimeSpan.FromMinutes(2), model.RunEstimate(model.Job.ParameterValues)); // the same estimate the idle form showed

        await h.Cancel.HandleAsync(new CancelJobRequest(model.Job.Id, null, JobCause.Admin, JobErrorCodes.CancelledByAdmin, "test"));
        await model.OnJobChangedAsync(new JobChange(model.Job.Id, user, JobStatus.Cancelled));
        await model.OnJobChangedAsync(new JobChange(model.Job.Id, user, JobStatus.Cancelled)); // the same news twice

        Assert.Equal(JobStatus.Cancelled, Assert.Single(ended).Status);
        Assert.Null(model.EstimatedWait);
    }

    [Fact]
    public async Task AWaitingJobsEstimate_Grows_WhenTheRunningOnesOverrunTheirs()
    {
        for (var i = 0; i < h.MaxConcurrent; i++)
        {
            await h.RunningJobAsync();
        }

        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        await model.InitializeAsync();
        await model.RunAsync(PoseFiles(), NoParameters);
        Assert.Equal((JobStatus.Queued, 1), (model.Job!.Status, model.QueuePosition));
        var run = model.RunEstimate(model.Job.ParameterValues)!.Value;
        Assert.Equal(run, model.EstimatedWait); // the slots ahead run the same tool, just started

        h.Clock.Advance(run / 2);
        Assert.Equal(run / 2, model.EstimatedWait);
        h.Clock.Advance(run * 1.5); // the runs ahead have now taken twice their estimate
        var overrun = model.EstimatedWait!.Value;
        Assert.True(overrun > RunEstimates.MinimumLeft, $"{overrun}");
        h.Clock.Advance(run);
        await model.PollAsync(); // the page's poll keeps its place and reads the slots again
        Assert.Equal(JobStatus.Queued, model.Job.Status);
        Assert.True(model.EstimatedWait > overrun, $"{model.EstimatedWait} after {overrun}");
    }

    [Fact]
    public async Task RunningJob_PollAndCheckNow_ReconcileWithRunningHub_AndShowTheFailureWithItsWords()
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        await model.InitializeAsync();
        await model.RunAsync(PoseFiles(), NoParameters);
        await h.Launcher.WhenIdleAsync();
        await model.RefreshAsync();

        await model.PollAsync();
        Assert.Single(h.RunningHub.Queries);
        Assert.Equal(RunnerPhase.Active, model.Phase);

        h.RunningHub.QueryAnswer = _ => new TaskQueryResult(CallOutcome.Success, RemoteTaskStatus.Failed, [], null, "805", "VRAM exhausted", RawStatus: "FAILED");
        await model.CheckNowAsync();

        Assert.Equal((RunnerPhase.Finished, JobStatus.Failed, "VRAM exhausted"), (model.Phase, model.Job!.Status, model.Job.ErrorMessage));
        Assert.Equal(10, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task Tick_PollsARunningJob_OnlyOnceFifteenSecondsHavePassedOnTheClock()
    {
        var user = await h.CreateUserAsync(10);
        var idle = Model(user);
        await idle.InitializeAsync();
        Assert.False(await idle.TickAsync()); // no job: nothing moves, nothing is polled
        await h.SubmitAsync(user);
        await h.Launcher.WhenIdleAsync();
        var model = Model(user);
        await model.InitializeAsync();
        Assert.Equal(JobStatus.Running, model.Job!.Status);

        Assert.True(await model.TickAsync()); // the elapsed time moves
        h.Clock.Advance(JobRunnerModel.PollInterval - TimeSpan.FromSeconds(1));
        Assert.True(await model.TickAsync());
        Assert.Empty(h.RunningHub.Queries);

        h.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await model.TickAsync());
        Assert.Single(h.RunningHub.Queries);
        Assert.NotNull((await h.GetJobAsync(model.Job.Id)).LastCheckedAt);

        Assert.True(await model.TickAsync()); // the next poll waits another interval
        Assert.Single(h.RunningHub.Queries);
    }

    [Fact]
    public async Task TheFormsParameters_FollowTheChoices_AsTheServersCheckDecidesThem()
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user, "image-upscaler");
        await model.InitializeAsync();
        var tool = Tool("image-upscaler");
        ParameterDefinition Shown(string key) => model.FormParameters.Single(p => p.Key == key);

        Assert.Equal(["version", "category", "framing", "resolution"], model.FormParameters.Select(p => p.Key)); // the defaults: standard, people
        model.Choose(Shown("version"), "pro");
        Assert.Equal(["version", "category", "framing", "resolution", "detail", "editing", "prompt"], model.FormParameters.Select(p => p.Key));
        Assert.Equal("0.15", model.Value(Shown("detail")));
        model.Choose(Shown("detail"), "0.5");
        model.Choose(Shown("category"), "food"); // the detail level of another context, with its own range and default
        Assert.Equal(["version", "category", "detail"], model.FormParameters.Select(p => p.Key));
        Assert.Equal((0.70m, "0.85"), (Shown("detail").Min, model.Value(Shown("detail"))));

        // What the form sends is exactly what the server takes: the same keys, nothing refused.
        var (values, problem) = ToolParameters.Normalize(tool, model.FormValues);
        Assert.Null(problem);
        Assert.Equal(model.FormValues.Keys.Order(), values!.Keys.Order());
        Assert.Equal(tool.CostFor(values), model.FormCost);
    }

    [Fact]
    public async Task AChosenFileTheBrowsersChecksRefused_KeepsRunFromRunning_UntilItIsReplaced()
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        await model.InitializeAsync();
        var person = Tool().Inputs.Single(i => i.Key == "person");
        var first = new BrowserUpload("person", new PickedFile("big.png", 1000, "image/png", 1));
        model.Checking(person, first);
        var ready = model.FormReadyAsync();
        Assert.False(ready.IsCompleted); // Run waits for the file still being measured

        var tooBig = RunnerMessage.CheckMeasured(person, 9000, 600, null);
        model.Picked(person, first, tooBig);

        Assert.False(await ready);
        Assert.True(model.HasRefusal);
        Assert.Equal(tooBig, model.Refusal("person"));
        Assert.Equal(tooBig, model.Error);
        var second = new BrowserUpload("person", new PickedFile("fits.png", 1000, "image/png", 2));
        model.Checking(person, second);
        model.Picked(person, second, null);
        Assert.False(model.HasRefusal);
        Assert.Null(model.Error);
        Assert.True(await model.FormReadyAsync());
    }

    [Fact]
    public async Task ConcurrentRuns_DoubleClickOrEnterTwice_MakeOneJob()
    {
        var user = await h.CreateUserAsync(100);
        var model = Model(user);
        await model.InitializeAsync();
        var slowUpload = new TaskCompletionSource();
        var files = new[]
        {
            File("person", SampleMedia.Png(40, 30, 1), open: () => new GatedStream(SampleMedia.Png(40, 30, 1), slowUpload.Task)),
            File("pose", SampleMedia.Png(40, 30, 2)),
        };

        var first = model.RunAsync(files, NoParameters);
        Assert.True(model.IsBusy);
        var others = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => model.RunAsync(files, NoParameters))));
        slowUpload.SetResult();

        Assert.True(await first);
        Assert.All(others, Assert.False);
        Assert.False(await model.RunAsync(files, NoParameters)); // a late third click, once the job exists: ignored, no error
        Assert.Null(model.Error);
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs WHERE user_id = {user}"));
        Assert.False(model.IsBusy);
    }

    [Fact]
    public async Task MissingWrongOrOversizedInput_IsRefusedBeforeUpload_AndNothingIsStored()
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        await model.InitializeAsync();

        Assert.False(await model.RunAsync([File("person", SampleMedia.Png(4, 4))], NoParameters));
        Assert.Equal("Error_INPUT_MISSING", model.Error!.Key);

        Assert.False(await model.RunAsync([File("person", SampleMedia.Png(4, 4)), File("pose", new byte[10], "application/pdf")], NoParameters));
        Assert.Equal("Error_INPUT_TYPE", model.Error!.Key);

        var huge = new UploadItem("pose", "big.png", Tool().Inputs.Single(i => i.Key == "pose").MaxBytes + 1, "image/png",
            (_, _) => throw new InvalidOperationException("a file refused by its size is never sent"));
        Assert.False(await model.RunAsync([File("person", SampleMedia.Png(4, 4)), huge], NoParameters));
        Assert.Equal("Error_INPUT_TOO_LARGE", model.Error!.Key);

        Assert.Equal(RunnerPhase.Ready, model.Phase);
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs"));
        Assert.Equal(10, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task FileThatIsNotWhatItClaims_IsRefusedByTheServer_WithItsReason()
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        await model.InitializeAsync();

        Assert.False(await model.RunAsync([File("person", "not an image at all"u8.ToArray()), File("pose", SampleMedia.Png(4, 4))], NoParameters));

        Assert.StartsWith("Error_INPUT_", model.Error!.Key);
        Assert.Equal(RunnerPhase.Ready, model.Phase);
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs"));
    }

    [Fact]
    public async Task UploadThatBreaks_ShowsAnError_AndTheFormCanBeUsedAgain()
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        await model.InitializeAsync();

        var broken = File("person", SampleMedia.Png(4, 4), open: () => throw new IOException("the connection to the browser was lost"));
        Assert.False(await model.RunAsync([broken, File("pose", SampleMedia.Png(4, 4))], NoParameters));
        Assert.Equal(("Error_UPLOAD_FAILED", RunnerPhase.Ready, false), (model.Error!.Key, model.Phase, model.IsBusy));

        Assert.True(await model.RunAsync(PoseFiles(), NoParameters));
    }

    [Fact]
    public async Task SubmitRefused_ForCredits_ShowsWhy_AndChargesNothing()
    {
        var user = await h.CreateUserAsync(1);
        var model = Model(user);
        await model.InitializeAsync();

        Assert.False(await model.RunAsync(PoseFiles(), NoParameters));

        Assert.Equal(("Error_" + SubmitErrors.InsufficientCredits, RunnerPhase.Ready), (model.Error!.Key, model.Phase));
        Assert.Equal(1, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task ActiveJobFromAnotherTabOrTool_IsShownInsteadOfTheForm_AndASecondRunGetsR4()
    {
        var user = await h.CreateUserAsync(20);
        var otherTab = Model(user, "virtual-try-on");
        await otherTab.InitializeAsync();
        var pose = Model(user);
        await pose.InitializeAsync();

        var tryOnFiles = new[] { File("person", SampleMedia.Png(40, 30, 1), tool: "virtual-try-on"), File("clothing", SampleMedia.Png(40, 30, 3), tool: "virtual-try-on") };
        Assert.True(await otherTab.RunAsync(tryOnFiles, NoParameters));

        // The pose page was open before: its second run is refused with R4 and it now shows the other job.
        Assert.False(await pose.RunAsync(PoseFiles(), NoParameters));
        Assert.Equal("Error_" + SubmitErrors.ActiveJobExists, pose.Error!.Key);
        Assert.Equal((RunnerPhase.Active, otherTab.Job!.Id, true), (pose.Phase, pose.Job!.Id, pose.JobIsOtherTool));

        // A page opened now shows it straight away.
        var fresh = Model(user);
        await fresh.InitializeAsync();
        Assert.Equal((RunnerPhase.Active, otherTab.Job.Id), (fresh.Phase, fresh.Job!.Id));
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs WHERE user_id = {user}"));
    }

    [Fact]
    public async Task Resync_AfterTheRealtimeConnectionCameBack_ReloadsTheJob()
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        await model.InitializeAsync();
        await model.RunAsync(PoseFiles(), NoParameters);
        await h.Launcher.WhenIdleAsync();
        await h.Finish.CompleteAsync(model.Job!.Id, [], null, JobCause.Webhook); // its NOTIFY was missed

        await model.OnJobChangedAsync(JobChange.Resync);

        Assert.Equal(JobStatus.Completed, model.Job!.Status);
    }

    /// <summary>A stream whose first read waits for a signal (an upload in progress).</summary>
    private sealed class GatedStream(byte[] content, Task gate) : MemoryStream(content)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await gate;
            return await base.ReadAsync(buffer, cancellationToken);
        }
    }

    [Fact]
    public async Task EmptyFile_IsCalledEmpty_NotTooLarge()
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user);
        await model.InitializeAsync();

        Assert.False(await model.RunAsync([File("person", []), File("pose", SampleMedia.Png(4, 4))], NoParameters));

        Assert.Equal("Error_INPUT_EMPTY", model.Error!.Key);
        Assert.EndsWith(": o arquivo está vazio (0 bytes).", Portuguese(model.Error));
    }

    [Fact]
    public async Task Refusals_KeepTheirNumbers_InThePagesLanguage()
    {
        var user = await h.CreateUserAsync(1);
        var model = Model(user);
        await model.InitializeAsync();

        Assert.False(await model.RunAsync(PoseFiles(), NoParameters));
        Assert.Equal("Error_INSUFFICIENT_CREDITS", model.Error!.Key);
        Assert.Equal($"Créditos insuficientes: esta execução custa {Tool().CreditCost} créditos e você tem 1. Nada foi cobrado.", Portuguese(model.Error));

        model = Model(await h.CreateUserAsync(10)); // the balance is checked before any upload: a file is checked only when it is covered
        await model.InitializeAsync();
        var wide = Tool().Inputs.Single(i => i.Key == "person").MaxWidth + 1;
        Assert.False(await model.RunAsync([File("person", SampleMedia.Png(wide, 2)), File("pose", SampleMedia.Png(4, 4))], NoParameters));
        Assert.Equal("Error_INPUT_TOO_BIG", model.Error!.Key);
        Assert.Contains($"{wide}×2", Portuguese(model.Error));
    }

    [Fact]
    public async Task AnotherToolsJob_IsFollowedToItsEnd_ThenThisToolsFormIsOffered()
    {
        var user = await h.CreateUserAsync(10);
        var other = (await h.SubmitAsync(user, "virtual-try-on")).Job!;
        var model = Model(user, "pose-changer");
        await model.InitializeAsync();
        Assert.True(model.JobIsOtherTool);
        Assert.Equal(RunnerPhase.Active, model.Phase);

        await h.Cancel.HandleAsync(new CancelJobRequest(other.Id, user, JobCause.User, JobErrorCodes.CancelledByUser, "cancelled"));
        await model.OnJobChangedAsync(new JobChange(other.Id, user, JobStatus.Cancelled));

        Assert.Equal((RunnerPhase.Ready, (Job?)null), (model.Phase, model.Job));
    }

    [Fact]
    public async Task CheckNow_DisablesItselfWhileAsking_AndSaysWhatRunningHubAnswered()
    {
        var job = await h.RunningJobAsync();
        var model = Model(job.UserId);
        await model.InitializeAsync();
        var checkingSeen = false;
        model.Changed += () => checkingSeen |= model.IsChecking;

        await model.CheckNowAsync();

        Assert.True(checkingSeen);
        Assert.False(model.IsChecking);
        Assert.NotNull(model.CheckAnswer);
        Assert.StartsWith("Runner_Checked_", model.CheckAnswer!.Key);
    }

    [Theory]
    [InlineData("detail", "5", "ParameterError_OUT_OF_RANGE", "deve ficar entre 0 e 1 (recebido: 5)")]
    [InlineData("prompt", "my own words", "ParameterError_NOT_APPLICABLE", "não se aplica a esta escolha")]
    public async Task AParameterOutOfRangeOrNotApplicable_IsRefusedOnThePage_InItsLanguage_AndNothingIsCharged(
        string key, string value, string expectedKey, string expectedText)
    {
        var user = await h.CreateUserAsync(10);
        var model = Model(user, "image-upscaler");
        await model.InitializeAsync();
        var version = key == "prompt" ? "standard" : "pro";

        Assert.False(await model.RunAsync([File("image", SampleMedia.Png(40, 30), tool: "image-upscaler")],
            new Dictionary<string, string?> { ["version"] = version, ["category"] = "people", ["framing"] = "close", [key] = value }));

        Assert.Equal(expectedKey, model.Error!.Key);
        Assert.Contains(expectedText, Portuguese(model.Error));
        Assert.Equal(10, await h.BalanceAsync(user));
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs"));
    }

    private static string Portuguese(RunnerMessage message)
    {
        var factory = new Microsoft.Extensions.Localization.ResourceManagerStringLocalizerFactory(
            Microsoft.Extensions.Options.Options.Create(new Microsoft.Extensions.Localization.LocalizationOptions { ResourcesPath = "Resources" }),
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var culture = System.Globalization.CultureInfo.CurrentUICulture;
        System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("pt-BR");
        try
        {
            return JobTexts.Message(factory.Create(typeof(JobHub.Web.Strings)), message);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = culture;
        }
    }
}
