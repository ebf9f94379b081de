using System.Net;
using System.Net.Sockets;
using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using JobHub.Core.Storage;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobHub.Tests.Jobs;

/// <summary>Result files are copied into JobHub's storage after completion, retried by the sweep when the first copy fails.</summary>
public sealed class CopyOutputsTests : IAsyncLifetime
{
    private static readonly byte[] Image = SampleMedia.Png(20, 20, 7);
    private EngineHarness h = null!;
    private WebApplication files = null!;
    private int failuresLeft;
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
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        files = builder.Build();
        files.MapGet("/out/result.png", () => Interlocked.Decrement(ref failuresLeft) >= 0
            ? Results.StatusCode(503)
            : Results.Bytes(Image, "image/png"));
        files.MapGet("/out/huge.bin", () => Results.Bytes(new byte[200_000], "application/octet-stream"));
        files.MapGet("/out/moved.png", () => Results.Redirect("/out/result.png"));
        files.MapGet("/out/elsewhere.png", () => Results.Redirect(ForbiddenUrl));
        await files.StartAsync();
        baseUrl = files.Urls.First();
        // The test file server is an allowed output host (as the simulator's base address is); "localhost" is allowed by
        // name only, so what it resolves to (loopback) must still be refused when the connection is opened.
        h = await EngineHarness.CreateAsync(new Dictionary<string, string?>
        {
            ["JobHub:Maintenance:MaxOutputBytes"] = "100000",
            ["JobHub:RunningHub:OutputHosts:0"] = new Uri(baseUrl).Authority,
            ["JobHub:RunningHub:OutputHosts:1"] = "localhost",
        });
    }

    private string ForbiddenUrl => $"http://127.0.0.1:{((IPEndPoint)forbidden.LocalEndpoint).Port}/result.png";

    public async Task DisposeAsync()
    {
        forbidden.Stop();
        await h.DisposeAsync();
        await files.DisposeAsync();
    }

    private CopyOutputs Copy => h.Services.GetRequiredService<CopyOutputs>();

    private async Task<Job> CompletedJobAsync(string url)
    {
        var job = await h.RunningJobAsync();
        await h.Finish.CompleteAsync(job.Id, [new JobOutput(url, "9", "image")], null, JobCause.Webhook);
        await Copy.WhenIdleAsync();
        return await h.GetJobAsync(job.Id);
    }

    [Fact]
    public async Task Completion_CopiesTheResultFile_AndKeepsRunningHubsUrl()
    {
        var job = await CompletedJobAsync(baseUrl + "/out/result.png");

        var output = Assert.Single(job.OutputFiles);
        Assert.Equal(baseUrl + "/out/result.png", output.Url);
        Assert.EndsWith(".png", output.StoredName);
        Assert.NotNull(job.OutputsCopiedAt);
        await using var stored = h.Services.GetRequiredService<IFileStorage>().OpenRead(output.StoredName!);
        using var copy = new MemoryStream();
        await stored.CopyToAsync(copy);
        Assert.Equal(Image, copy.ToArray());
    }

    [Fact]
    public async Task FailedCopy_IsRecorded_ThenTheSweepRetriesIt_UntilItSucceeds()
    {
        failuresLeft = 2;
        var job = await CompletedJobAsync(baseUrl + "/out/result.png");
        Assert.Null(job.OutputsCopiedAt);
        Assert.Equal(1, job.OutputCopyAttempts);
        Assert.Contains("503", job.OutputCopyError);
        Assert.Null(Assert.Single(job.OutputFiles).StoredName); // the page still shows RunningHub's URL

        h.Clock.Advance(TimeSpan.FromSeconds(5));
        await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs);
        Assert.Equal(1, (await h.GetJobAsync(job.Id)).OutputCopyAttempts); // too fresh: the completing instance may still be copying

        h.Clock.Advance(TimeSpan.FromSeconds(10));
        await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs);
        Assert.Equal(2, (await h.GetJobAsync(job.Id)).OutputCopyAttempts);
        var run = await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs);

        var copied = await h.GetJobAsync(job.Id);
        Assert.NotNull(copied.OutputsCopiedAt);
        Assert.Null(copied.OutputCopyError);
        Assert.NotNull(Assert.Single(copied.OutputFiles).StoredName);
        Assert.Contains("\"copied\":1", run.Counts);
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM job_events WHERE job_id = {job.Id} AND kind = 'outputs_copied'"));
    }

    [Fact]
    public async Task CopySweep_GivesUp_AfterTheUrlsExpired()
    {
        failuresLeft = 1000;
        var job = await CompletedJobAsync(baseUrl + "/out/result.png");
        h.Clock.Advance(TimeSpan.FromHours(25));

        await h.Maintenance.RunNowAsync(MaintenanceTaskKeys.CopyOutputs);

        Assert.Equal(1, (await h.GetJobAsync(job.Id)).OutputCopyAttempts);
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
        Assert.Empty(h.Services.GetRequiredService<IFileStorage>().ListOlderThan("outputs", DateTime.MaxValue, 10));
    }

    [Fact]
    public async Task TwoCopiesAtOnce_StoreOneSetOfFiles()
    {
        failuresLeft = 1;
        var job = await CompletedJobAsync(baseUrl + "/out/result.png");

        var results = await Task.WhenAll(Copy.CopyAsync(job.Id), Copy.CopyAsync(job.Id), Copy.CopyAsync(job.Id));

        Assert.Single(results, copied => copied);
        var stored = h.Services.GetRequiredService<IFileStorage>().ListOlderThan("outputs", DateTime.MaxValue, 10);
        Assert.Equal(Assert.Single((await h.GetJobAsync(job.Id)).OutputFiles).StoredName, Assert.Single(stored));
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
    [InlineData("93.184.216.34", true)]
    [InlineData("2606:4700::1111", true)]
    public void OnlyPublicAddresses_ArePublic(string address, bool isPublic) =>
        Assert.Equal(isPublic, OutputUrlPolicy.IsPublic(IPAddress.Parse(address)));
}
