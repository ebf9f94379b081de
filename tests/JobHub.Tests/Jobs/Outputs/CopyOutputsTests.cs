using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Maintenance;
using JobHub.Core.Storage;
using JobHub.Tests.Infrastructure;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Jobs.Outputs;

/// <summary>
/// Result files are copied into JobHub's storage after completion by a Hangfire job, retried with back-off while the
/// URLs are valid; the sweep enqueues what has no live copy job.
/// </summary>
public sealed class CopyOutputsTests : IAsyncLifetime
{
    private EngineHarness h = null!;
    private OutputFileServer files = null!;
    private string baseUrl = "";

    // A listener where no request may ever arrive: the address a hostile TASK_END names.
    private readonly TcpListener forbidden = new(IPAddress.Loopback, 0);
    private int forbiddenConnections;

    public async Task InitializeAsync()
    {
        forbidden.Start();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await forbidden.AcceptTcpClientAsync();
                Interlocked.Increment(ref forbiddenConnections);
            }
        });
        files = await OutputFileServer.StartAsync(() => ForbiddenUrl);
        baseUrl = files.BaseUrl;
        // The test file server is an allowed output host (as the simulator's base address is); "localhost" is allowed by
        // name only, so what it resolves to (loopback) must still be refused when the connection is opened.
        var settings = files.AllowedHostSettings();
        settings["JobHub:RunningHub:OutputHosts:1"] = "localhost";
        settings["JobHub:Maintenance:MaxOutputBytes"] = "100000";
        settings["JobHub:Maintenance:OutputCopyRetryDelay"] = "00:00:00.100";
        settings["JobHub:Maintenance:OutputCopyTimeout"] = "00:00:02";
        h = await EngineHarness.CreateAsync(settings);
    }

    private string ForbiddenUrl => $"http://127.0.0.1:{((IPEndPoint)forbidden.LocalEndpoint).Port}/result.png";

    public async Task DisposeAsync()
    {
        forbidden.Stop();
        await h.DisposeAsync();
        await files.DisposeAsync();
    }

    private CopyOutputs Copy => h.Services.GetRequiredService<CopyOutputs>();

    /// <summary>A job completed with one output at <paramref name="url"/>, after its copy's first attempt.</summary>
    private async Task<Job> CompletedJobAsync(string url)
    {
        var job = await h.RunningJobAsync();
        await h.Finish.CompleteAsync(job.Id, [new JobOutput(url, "9", "image")], null, JobCause.Webhook);
        Assert.True(await EngineHarness.WaitUntilAsync(async () => await h.GetJobAsync(job.Id) is { } j && (j.OutputsCopiedAt is not null || j.OutputCopyAttempts > 0)),
            "the copy was not attempted");
        return await h.GetJobAsync(job.Id);
    }

    private IReadOnlyList<string> HangfireStates(string copyJobId, EngineHarness? on = null) =>
        (on ?? h).Services.GetRequiredService<JobStorage>().GetMonitoringApi().JobDetails(copyJobId).History
            .OrderBy(s => s.CreatedAt).Select(s => s.StateName).ToList();

    [Fact]
    public async Task TheCopiesLoop_StartedByACompletion_IsNotTracedAsPartOfThatCall()
    {
        var job = await h.RunningJobAsync();
        using var source = new ActivitySource("JobHub.Tests.CopyTrace");
        var traced = new ConcurrentQueue<string>();
        ActivityTraceId? trace = null;
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Npgsql" || s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Npgsql" && activity.TraceId == trace)
                {
                    traced.Enqueue(activity.DisplayName);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        int duringTheCall;
        using (var parent = source.StartActivity("completion")!)
        {
            trace = parent.TraceId;
            await h.Finish.CompleteAsync(job.Id, [new JobOutput(baseUrl + "/out/result.png", "9", "image")], null, JobCause.Webhook);
            duringTheCall = traced.Count;
        }

        // The completion started the copies' loop (no host here): its enqueue and the copy come after the call, on their own.
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await h.GetJobAsync(job.Id)).OutputsCopiedAt is not null), "not copied");
        Assert.True(duringTheCall > 0, "the completion itself was not traced");
        Assert.Equal(duringTheCall, traced.Count);
    }

    [Fact]
    public async Task Completion_OfAJobWhoseFilesWereDeleted_CopiesNothing()
    {
        var job = await h.RunningJobAsync();
        await h.Db.ExecuteAsync($"UPDATE jobs SET files_deleted_at = now() WHERE id = {job.Id}"); // its owner deleted the account

        await h.Finish.CompleteAsync(job.Id, [new JobOutput(baseUrl + "/out/result.png", "9", "image")], null, JobCause.Webhook);
        await Copy.WhenIdleAsync();

        Assert.Equal(CopyOutcome.NothingToCopy, (await Copy.CopyAsync(job.Id)).Outcome);
        var ended = await h.GetJobAsync(job.Id);
        Assert.Null(ended.OutputsCopiedAt);
        Assert.Null(Assert.Single(ended.OutputFiles).StoredName);
    }

    [Fact]
    public async Task Completion_CopiesTheResultFile_AndKeepsRunningHubsUrl()
    {
        var job = await CompletedJobAsync(baseUrl + "/out/result.png");

        var output = Assert.Single(job.OutputFiles);
        Assert.Equal(baseUrl + "/out/result.png", output.Url);
        Assert.EndsWith(".png", output.StoredName);
        Assert.NotNull(job.OutputsCopiedAt);
        await using var stored = await h.Services.GetRequiredService<IFileStorage>().OpenReadAsync(output.StoredName!);
        using var copy = new MemoryStream();
        await stored.CopyToAsync(copy);
        Assert.Equal(OutputFileServer.Image, copy.ToArray());
        Assert.NotNull(job.OutputCopyJobId);
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(HangfireStates(job.OutputCopyJobId!)[^1] == "Succeeded")));
    }

    [Fact]
    public async Task FailedCopy_IsRecorded_ThenRetriedByHangfire_WithBackOff_UntilItSucceeds()
    {
        files.FailuresLeft = 2;
        var job = await CompletedJobAsync(baseUrl + "/out/result.png");
        Assert.True(job.OutputsCopiedAt is null, "copied at the first attempt, though the file server answered 503");
        Assert.Equal(1, job.OutputCopyAttempts);
        Assert.Contains("503", job.OutputCopyError);
        Assert.Null(Assert.Single(job.OutputFiles).StoredName); // the page still shows RunningHub's URL

        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await h.GetJobAsync(job.Id)).OutputsCopiedAt is not null), "never copied");

        var copied = await h.GetJobAsync(job.Id);
        Assert.Equal(3, copied.OutputCopyAttempts);
        Assert.Null(copied.OutputCopyError);
        Assert.NotNull(Assert.Single(copied.OutputFiles).StoredName);
        Assert.Equal(3, files.Requests);
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id} AND kind = 'outputs_copied'"));
        // One Hangfire job, retried twice through Hangfire's scheduled state.
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(HangfireStates(copied.OutputCopyJobId!)[^1] == "Succeeded")));
        var states = HangfireStates(copied.OutputCopyJobId!);
        Assert.Equal(2, states.Count(s => s == "Scheduled"));
        Assert.Equal("Succeeded", states[^1]);
    }

    [Fact]
    public async Task CompletionsTogether_ShareOneCopyJob_AndAFailedCopyRetriesInAJobOfItsOwn()
    {
        files.FailuresLeft = 1; // one of the three first attempts meets a 503
        await using var batching = await EngineHarness.CreateAsync(new Dictionary<string, string?>(files.AllowedHostSettings())
        {
            ["JobHub:Maintenance:OutputCopyBatchWindow"] = "00:00:02",
            ["JobHub:Maintenance:OutputCopyRetryDelay"] = "00:00:00.100",
        });
        var running = new[] { await batching.RunningJobAsync(), await batching.RunningJobAsync(), await batching.RunningJobAsync() };

        await Task.WhenAll(running.Select(job =>
            batching.Finish.CompleteAsync(job.Id, [new JobOutput(baseUrl + "/out/result.png", "9", "image")], null, JobCause.Webhook)));

        Assert.True(await EngineHarness.WaitUntilAsync(async () =>
        {
            foreach (var job in running)
            {
                if ((await batching.GetJobAsync(job.Id)).OutputsCopiedAt is null)
                {
                    return false;
                }
            }

            return true;
        }), "not all copied");
        var jobs = new List<Job>();
        foreach (var job in running)
        {
            jobs.Add(await batching.GetJobAsync(job.Id));
        }

        var monitoring = batching.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        var atOnce = jobs.Where(j => j.OutputCopyAttempts == 1).ToList();
        Assert.Equal(2, atOnce.Count);
        var batch = Assert.Single(atOnce.Select(j => j.OutputCopyJobId).Distinct())!;
        Assert.Equal(nameof(CopyOutputs.RunBatchAsync), monitoring.JobDetails(batch).Job.Method.Name);
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(HangfireStates(batch, batching)[^1] == "Succeeded")));
        Assert.Single(HangfireStates(batch, batching), state => state == "Processing"); // one run for the three

        var retried = Assert.Single(jobs, j => j.OutputCopyAttempts == 2);
        Assert.NotEqual(batch, retried.OutputCopyJobId);
        Assert.Equal(nameof(CopyOutputs.RunAsync), monitoring.JobDetails(retried.OutputCopyJobId).Job.Method.Name);
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(HangfireStates(retried.OutputCopyJobId!, batching)[^1] == "Succeeded")));
        Assert.Equal("Scheduled", HangfireStates(retried.OutputCopyJobId!, batching)[0]);
        Assert.Equal(4, files.Requests);
        Assert.Equal(3, await batching.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE kind = 'outputs_copied'"));
    }

    [Fact]
    public async Task AnInstanceStopping_EnqueuesTheCopiesWaitingForTheirBatch()
    {
        var settings = new Dictionary<string, string?>(files.AllowedHostSettings())
        {
            ["JobHub:Maintenance:OutputCopyBatchWindow"] = "00:00:05",
            ["JobHub:Maintenance:OutputCopyWorkers"] = "0",
        };
        await using var owner = await EngineHarness.CreateAsync(settings);
        var stopping = await EngineHarness.CreateAsync(settings, sharedDatabase: owner.DatabaseName);
        var job = await stopping.RunningJobAsync();
        await stopping.Finish.CompleteAsync(job.Id, [new JobOutput(baseUrl + "/out/result.png", "9", "image")], null, JobCause.Webhook);
        Assert.Null((await owner.GetJobAsync(job.Id)).OutputCopyJobId); // waiting for its batch

        var stop = System.Diagnostics.Stopwatch.StartNew();
        await stopping.Services.GetRequiredService<CopyOutputs>().StopAsync(); // what the host's shutdown does (EngineLifetime)
        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(4), $"stopping waited {stop.Elapsed} for the batch window");
        await stopping.DisposeAsync();

        var enqueued = (await owner.GetJobAsync(job.Id)).OutputCopyJobId;
        Assert.NotNull(enqueued);
        Assert.Equal("Enqueued", HangfireStates(enqueued, owner)[^1]);
    }

    [Fact]
    public void RetryWaits_DoubleWithEachAttempt_UpToAnHour()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(100), Copy.RetryDelay(1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), Copy.RetryDelay(2));
        Assert.Equal(TimeSpan.FromMilliseconds(800), Copy.RetryDelay(4));
        Assert.Equal(TimeSpan.FromHours(1), Copy.RetryDelay(40));
    }

    [Fact]
    public async Task Copying_GivesUp_WhenTheUrlsExpire_AndTheSweepLeavesItBe()
    {
        files.FailuresLeft = 1000;
        var job = await CompletedJobAsync(baseUrl + "/out/result.png");
        h.Clock.Advance(TimeSpan.FromHours(25));

        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await h.GetJobAsync(job.Id)).OutputCopyError?.Contains("expired") == true),
            "the retry did not give up");
        var requests = files.Requests;
        var ended = await h.GetJobAsync(job.Id);
        Assert.Equal(8, ended.OutputCopyAttempts); // attempts used up
        Assert.Null(ended.OutputsCopiedAt);
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(HangfireStates(ended.OutputCopyJobId!)[^1] == "Failed")));
        var run = await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs);
        Assert.DoesNotContain("enqueued", run.Counts ?? "");
        await Task.Delay(300);
        Assert.Equal(requests, files.Requests);
    }

    [Fact]
    public async Task Copying_GivesUp_AfterTheLastAttempt()
    {
        files.FailuresLeft = 1000;
        var job = await CompletedJobAsync(baseUrl + "/out/result.png");

        Assert.True(await EngineHarness.WaitUntilAsync(async () => HangfireStates((await h.GetJobAsync(job.Id)).OutputCopyJobId!)[^1] == "Failed",
            TimeSpan.FromSeconds(60)), "the copy was not given up");

        var ended = await h.GetJobAsync(job.Id);
        Assert.Equal(8, ended.OutputCopyAttempts);
        Assert.Equal(8, files.Requests);
        Assert.Contains("503", ended.OutputCopyError);
    }

    [Fact]
    public async Task TheSweep_EnqueuesTheCopy_OfACompletedJobThatHasNone()
    {
        // The instance that completed the job died before enqueueing its copy: the job is completed, nothing copies it.
        var running = await h.RunningJobAsync();
        await h.Services.GetRequiredService<JobTermination>().CompleteAsync(running.Id, [new JobOutput(baseUrl + "/out/result.png", "9", "image")],
            null, JobCause.Webhook);
        h.Clock.Advance(TimeSpan.FromSeconds(5));
        var fresh = await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs);
        Assert.Equal("{}", fresh.Counts); // too fresh: the completing instance may still be enqueueing

        h.Clock.Advance(TimeSpan.FromSeconds(10));
        var run = await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs);

        Assert.Contains("\"enqueued\":1", run.Counts);
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await h.GetJobAsync(running.Id)).OutputsCopiedAt is not null), "never copied");
        Assert.Equal("{}", (await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs)).Counts); // nothing left to copy
    }

    [Fact]
    public async Task TheSweep_LeavesACopyUnderWay_AndReplacesOneDeletedOnTheDashboard()
    {
        // An instance of its own (on a database of its own): any instance's Hangfire server runs the sweeps and copies, and
        // this one's retries wait ten minutes.
        files.FailuresLeft = 1;
        await using var slow = await EngineHarness.CreateAsync(new Dictionary<string, string?>(files.AllowedHostSettings())
        {
            ["JobHub:Maintenance:OutputCopyRetryDelay"] = "00:10:00",
        });
        var running = await slow.RunningJobAsync();
        await slow.Finish.CompleteAsync(running.Id, [new JobOutput(baseUrl + "/out/result.png", "9", "image")], null, JobCause.Webhook);
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await slow.GetJobAsync(running.Id)).OutputCopyAttempts == 1));
        var scheduled = (await slow.GetJobAsync(running.Id)).OutputCopyJobId!;
        Assert.True(await EngineHarness.WaitUntilAsync(() => Task.FromResult(HangfireStates(scheduled, slow)[^1] == "Scheduled")));
        slow.Clock.Advance(TimeSpan.FromSeconds(15));

        var left = await slow.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs);
        Assert.Contains("\"under_way\":1", left.Counts);
        Assert.Equal(scheduled, (await slow.GetJobAsync(running.Id)).OutputCopyJobId);

        slow.Services.GetRequiredService<IBackgroundJobClient>().Delete(scheduled);
        var replaced = await slow.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs);

        Assert.Contains("\"enqueued\":1", replaced.Counts);
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await slow.GetJobAsync(running.Id)).OutputsCopiedAt is not null), "never copied");
        Assert.NotEqual(scheduled, (await slow.GetJobAsync(running.Id)).OutputCopyJobId);
    }

    [Theory]
    [InlineData("/out/huge.bin")]
    [InlineData("/out/missing.png")]
    [InlineData("file:///etc/passwd")]
    public async Task OversizedMissingOrNonHttpResult_IsNotStored(string path)
    {
        var job = await CompletedJobAsync(path.StartsWith('/') ? baseUrl + path : path);

        Assert.Null(job.OutputsCopiedAt);
        Assert.NotNull(job.OutputCopyError);
        Assert.Null(Assert.Single(job.OutputFiles).StoredName);
        Assert.Empty(await h.Services.GetRequiredService<IFileStorage>().ListOlderThanAsync("outputs", DateTime.MaxValue, 10));
    }

    [Fact]
    public async Task TwoCopiesAtOnce_StoreOneSetOfFiles()
    {
        // An instance whose retry waits ten minutes, so that only the three copies below race (with this class's 100 ms
        // delay, Hangfire's retry could copy the files before the race began).
        files.FailuresLeft = 1;
        await using var slow = await EngineHarness.CreateAsync(new Dictionary<string, string?>(files.AllowedHostSettings())
        {
            ["JobHub:Maintenance:OutputCopyRetryDelay"] = "00:10:00",
        });
        var running = await slow.RunningJobAsync();
        await slow.Finish.CompleteAsync(running.Id, [new JobOutput(baseUrl + "/out/result.png", "9", "image")], null, JobCause.Webhook);
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await slow.GetJobAsync(running.Id)).OutputCopyAttempts == 1));
        var copy = slow.Services.GetRequiredService<CopyOutputs>();

        var results = await Task.WhenAll(copy.CopyAsync(running.Id), copy.CopyAsync(running.Id), copy.CopyAsync(running.Id));

        Assert.Single(results, attempt => attempt.Outcome == CopyOutcome.Copied);
        var stored = await slow.Services.GetRequiredService<IFileStorage>().ListOlderThanAsync("outputs", DateTime.MaxValue, 10);
        Assert.Equal(Assert.Single((await slow.GetJobAsync(running.Id)).OutputFiles).StoredName, Assert.Single(stored));
    }

    [Fact]
    public async Task ARedirect_WithinTheAllowedHost_IsFollowed()
    {
        var job = await CompletedJobAsync(baseUrl + "/out/moved.png");

        Assert.NotNull(job.OutputsCopiedAt);
        Assert.NotNull(Assert.Single(job.OutputFiles).StoredName);
    }

    [Theory]
    [InlineData("direct")]
    [InlineData("redirect")]
    [InlineData("name-resolving-to-loopback")]
    public async Task AResultUrl_OnAHostThatIsNotAllowed_IsNeverFetched_AndTheJobKeepsRunningHubsLink(string how)
    {
        var url = how switch
        {
            "direct" => ForbiddenUrl,
            "redirect" => baseUrl + "/out/elsewhere.png",
            _ => ForbiddenUrl.Replace("127.0.0.1", "localhost"),
        };

        var job = await CompletedJobAsync(url);

        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Null(job.OutputsCopiedAt);
        Assert.StartsWith("refused: ", job.OutputCopyError);
        Assert.Equal(url, Assert.Single(job.OutputFiles).Url);
        Assert.Null(job.OutputFiles[0].StoredName);
        Assert.Equal(8, job.OutputCopyAttempts); // final: the sweep does not try a refused address again
        await Task.Delay(200);
        Assert.Equal(0, Volatile.Read(ref forbiddenConnections));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("198.18.0.1", false)] // benchmarking
    [InlineData("198.19.255.254", false)]
    [InlineData("192.0.0.8", false)] // IETF protocol assignments
    [InlineData("64:ff9b::7f00:1", false)] // NAT64 of 127.0.0.1
    [InlineData("64:ff9b::a9fe:a9fe", false)] // NAT64 of 169.254.169.254
    [InlineData("64:ff9b:1::a00:1", false)] // local-use NAT64
    [InlineData("2002:7f00:1::1", false)] // 6to4 of 127.0.0.1
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", false)] // Teredo
    [InlineData("::127.0.0.1", false)] // IPv4-compatible
    [InlineData("93.184.216.34", true)]
    [InlineData("198.20.0.1", true)]
    [InlineData("2606:4700::1111", true)]
    public void OnlyPublicAddresses_ArePublic(string address, bool isPublic) =>
        Assert.Equal(isPublic, OutputUrlPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("/out/page.html")]
    [InlineData("/out/image.svg")]
    [InlineData("/out/fake.png")]
    public async Task AResultThatIsNotAnImageOrAVideo_IsRefusedAndRecorded_NothingIsStored_AndTheJobKeepsRunningHubsLink(string path)
    {
        var job = await CompletedJobAsync(baseUrl + path);

        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Null(job.OutputsCopiedAt);
        Assert.StartsWith("refused: the result file is not an image or a video", job.OutputCopyError);
        Assert.Equal(baseUrl + path, Assert.Single(job.OutputFiles).Url);
        Assert.Null(job.OutputFiles[0].StoredName);
        Assert.Equal(8, job.OutputCopyAttempts); // final: never tried again
        Assert.Empty(await h.Services.GetRequiredService<IFileStorage>().ListOlderThanAsync("outputs", DateTime.MaxValue, 10));
    }

    [Fact]
    public async Task AnImageAtAPagesAddress_IsStoredAsTheImageItIs()
    {
        var job = await CompletedJobAsync(baseUrl + "/out/real.html");

        Assert.NotNull(job.OutputsCopiedAt);
        Assert.EndsWith(".png", Assert.Single(job.OutputFiles).StoredName);
    }

    [Fact]
    public async Task AServerThatTricklesTheBody_IsCutOffAtTheTimeLimit_AndLeavesNoFile()
    {
        var started = Stopwatch.StartNew();
        var job = await CompletedJobAsync(baseUrl + "/out/drip.png");

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
        Assert.Null(job.OutputsCopiedAt);
        Assert.Contains("not downloaded within", job.OutputCopyError);
        Assert.Empty(await h.Services.GetRequiredService<IFileStorage>().ListOlderThanAsync("outputs", DateTime.MaxValue, 10));
    }

    [Fact]
    public void TheCopiesHttpClient_IgnoresAProxyFromTheEnvironment()
    {
        // A proxy (HTTP_PROXY) would open the connection to the result's host itself, past the address check.
        var handler = h.Services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(CopyOutputs.HttpClientName);
        while (handler is DelegatingHandler { InnerHandler: { } inner })
        {
            handler = inner;
        }

        var sockets = Assert.IsType<SocketsHttpHandler>(handler);
        Assert.False(sockets.UseProxy);
        Assert.NotNull(sockets.ConnectCallback);
    }

    [Fact]
    public async Task AnAnswerNamingManyOutputs_KeepsTheFirstFew_AndSaysHowManyItLeftOut()
    {
        var job = await h.RunningJobAsync();
        var outputs = Enumerable.Range(0, 500).Select(i => new JobOutput($"{baseUrl}/out/result.png?n={i}", "9", "image")).ToList();

        await h.Finish.CompleteAsync(job.Id, outputs, null, JobCause.Webhook);

        var completed = await h.GetJobAsync(job.Id);
        Assert.Equal(8, completed.OutputFiles.Count);
        Assert.Equal(outputs.Take(8).Select(o => o.Url), completed.OutputFiles.Select(o => o.Url));
        Assert.Equal("RunningHub named 500 result files; the first 8 are kept",
            await h.ScalarAsync<string>($"SELECT message FROM job_events WHERE job_id = {job.Id} AND to_status = 'completed'"));
        Assert.True(await EngineHarness.WaitUntilAsync(async () => (await h.GetJobAsync(job.Id)).OutputsCopiedAt is not null), "never copied");
        Assert.Equal(8, (await h.Services.GetRequiredService<IFileStorage>().ListOlderThanAsync("outputs", DateTime.MaxValue, 100)).Count);
    }
}
