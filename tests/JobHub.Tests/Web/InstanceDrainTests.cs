using System.Net;
using System.Net.Http.Json;
using JobHub.Core.Jobs;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Drain;
using JobHub.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Web;

/// <summary>
/// An instance that drains (SIGTERM: <see cref="InstanceDrain"/>) takes no new work from its first moment: readiness, new
/// requests and a page's submit are refused, while the liveness check, RunningHub's webhooks and the submits under way go
/// on. The whole process under SIGTERM: <see cref="DrainProcessTests"/>.
/// </summary>
public sealed class InstanceDrainTests
{
    private static readonly Dictionary<string, string?> NoWait = new() { ["JobHub:Drain:NotReadyFor"] = "00:00:00" };

    [Fact]
    public async Task Draining_IsNotReady_AndRefusesNewRequests_ButTakesWebhooks()
    {
        await using var hub = await LiveJobHub.StartAsync(NoWait);
        using var http = new HttpClient { BaseAddress = hub.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/ready")).StatusCode);

        await hub.Services.GetRequiredService<InstanceDrain>().DrainAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
        using var page = await http.GetAsync("tools/image-upscaler");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
        Assert.Equal("1", page.Headers.RetryAfter?.ToString());
        Assert.Contains("data-code=\"503\"", await page.Content.ReadAsStringAsync()); // the error page, in the page's language
        using var api = await http.GetAsync("api/jobs/active");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
        Assert.Equal(DrainSetup.Code, (await ApiProblem.ReadAsync(api)).Code);
        using var webhook = await http.PostAsync($"api/webhooks/runninghub/{Guid.NewGuid()}?token=x", JsonContent.Create(new { taskId = "1" }));
        Assert.NotEqual(HttpStatusCode.ServiceUnavailable, webhook.StatusCode);
    }

    [Fact]
    public async Task Submit_FromAPage_IsRefusedInItsWords_WhileDraining_AndNothingIsStoredOrCharged()
    {
        await using var hub = await LiveJobHub.StartAsync(NoWait);
        var user = await hub.CreateUserAsync();
        await using var scope = hub.Services.CreateAsyncScope();
        var tool = hub.Services.GetRequiredService<JobHub.Core.Tools.ToolCatalog>().Find("pose-changer")!;
        var model = scope.ServiceProvider.GetRequiredService<JobRunnerFactory>().Create(tool, user);
        await model.InitializeAsync();
        var files = TestUploads.Pose(hub.Services.GetRequiredService<StoreInput>(), user);

        await hub.Services.GetRequiredService<InstanceDrain>().DrainAsync();

        Assert.False(await model.RunAsync(files, new Dictionary<string, string?>()));
        Assert.Equal("Error_" + DrainSetup.Code, model.Error?.Key);
        Assert.Equal(RunnerPhase.Ready, model.Phase);
        Assert.Equal((0L, 10), (await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs"), await hub.BalanceAsync(user)));
    }

    [Fact]
    public async Task Drain_WaitsForTheSubmitsUnderWay_AndLetsNoneBegin()
    {
        var drain = new InstanceDrain(new OpenPages(NullLogger<OpenPages>.Instance),
            Options.Create(new DrainOptions { NotReadyFor = TimeSpan.Zero, PagesTimeout = TimeSpan.FromSeconds(30) }), NullLogger<InstanceDrain>.Instance);
        var underWay = drain.TryBeginSubmit();
        Assert.NotNull(underWay);

        var draining = drain.DrainAsync();

        Assert.True(drain.IsDraining);
        Assert.Null(drain.TryBeginSubmit());
        Assert.NotSame(draining, await Task.WhenAny(draining, Task.Delay(300)));
        underWay.Dispose();
        await draining.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Same(draining, drain.DrainAsync());
    }
}
