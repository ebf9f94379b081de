using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using JobHub.Core.RunningHub;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Jobs.Slots;

/// <summary>
/// The default run, end to end: JobHub on Kestrel with no RunningHub key talks to the simulator on its own port, and a
/// job goes through the real HTTP client (upload, start with the webhook URL) to a task at the simulator.
/// </summary>
public sealed class EndToEndLaunchTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task DefaultRun_LaunchesAJob_OnTheSimulatorService_ThroughTheRealClient()
    {
        await using var host = await KestrelJobHub.StartAsync(db.ConnectionString);
        var services = host.Services;
        Assert.IsType<RunningHubHttpClient>(services.GetRequiredService<IRunningHubClient>());
        var simulator = host.Simulator!.State;
        simulator.Settings = simulator.Settings with { RunFor = TimeSpan.FromMinutes(5) };

        var user = Guid.NewGuid();
        var contexts = services.GetRequiredService<IDbContextFactory<JobHubDbContext>>();
        await using (var context = await contexts.CreateDbContextAsync())
        {
            await using var transaction = await context.Database.BeginTransactionAsync();
            await context.Database.ExecuteSqlAsync($"""
                INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, security_stamp, concurrency_stamp)
                VALUES ({user}, 'e2e@test.local', 'E2E@TEST.LOCAL', 'e2e@test.local', 'E2E@TEST.LOCAL', 's', 'c')
                """);
            await Core.Credits.CreditLedger.AddAsync(context, user, Core.Credits.LedgerKinds.Grant, 10, "test", null, DateTime.UtcNow);
            await transaction.CommitAsync();
        }

        var store = services.GetRequiredService<StoreInput>();
        var person = await store.HandleAsync("virtual-try-on", "person", new MemoryStream(SampleMedia.Png(32, 48)), "me.png", long.MaxValue, default);
        var clothing = await store.HandleAsync("virtual-try-on", "clothing", new MemoryStream(SampleMedia.Png(32, 32, 3)), "shirt.png", long.MaxValue, default);
        var result = await services.GetRequiredService<SubmitJob>().HandleAsync(
            new SubmitJobRequest(user, "virtual-try-on", [person.Input!, clothing.Input!], new Dictionary<string, string?>()));
        await services.GetRequiredService<JobLauncher>().WhenIdleAsync();

        var task = Assert.Single(simulator.Tasks);
        Assert.Equal("2018755100210106369", task.WebappId);
        Assert.Equal(["41", "43"], task.Nodes.Select(n => n.NodeId).Order());
        Assert.All(task.Nodes, n => Assert.NotNull(simulator.File(n.FieldValue)));
        Assert.StartsWith($"{host.BaseAddress.ToString().TrimEnd('/')}/api/webhooks/runninghub/{result.Job!.Id}?token=", task.WebhookUrl);
        await using var check = await contexts.CreateDbContextAsync();
        var job = await check.Set<Job>().AsNoTracking().SingleAsync(j => j.Id == result.Job.Id);
        Assert.Equal((JobStatus.Running, task.TaskId, RunningHubAccounts.SimulatorKey), (job.Status, job.TaskId, job.AccountKey));
    }
}
