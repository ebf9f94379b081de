using System.Net;
using JobHub.Core.Accounts;
using JobHub.Core.Persistence;
using JobHub.Tests.Infrastructure;
using JobHub.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Web;

/// <summary>
/// What a public JobHub offers anonymous visitors: no simulator (it is a service of its own, reached over HTTP), no
/// published demo passwords with a real RunningHub key, and no start-up without a RunningHub to talk to.
/// </summary>
public sealed class PublicSurfaceTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task TheSimulator_IsNotServedByJobHub()
    {
        await using var hub = await KestrelJobHub.StartAsync(db.ConnectionString);
        using var http = new HttpClient { BaseAddress = hub.BaseAddress };
        var file = hub.Simulator!.State.StoreFile(JobHub.Simulator.SampleMedia.Png(4, 4), ".png");

        foreach (var path in new[] { "/simulator/_control/settings", "/simulator/_control/stats", $"/simulator/files/{file}" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(path)).StatusCode);
        }

        Assert.False((await http.PostAsync("/simulator/_control/reset", null)).IsSuccessStatusCode);
        Assert.NotNull(hub.Simulator.State.File(file)); // nothing was reset
    }

    [Fact]
    public async Task Startup_WithNoRunningHubKeyAndNoSimulator_Stops_NamingTheSettings()
    {
        await using var app = Create(new Dictionary<string, string?>(), new CapturingLoggerProvider());

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => JobHubApp.PrepareAsync(app));

        Assert.Contains("JobHub:RunningHub:Simulator:BaseUrl and ApiKey", string.Join(" ", ex.Failures));
    }

    [Fact]
    public async Task DemoAccounts_AreNotCreated_WithARealKey_AndStartupSaysSo()
    {
        var logs = new CapturingLoggerProvider();
        var database = await TestDatabase.CreateMigratedAsync(); // its own: the class's database gets the demo accounts in another test
        try
        {
            await using var app = Create(new Dictionary<string, string?>
            {
                ["ConnectionStrings:JobHub"] = TestDatabase.ConnectionStringFor(database),
                ["JobHub:SeedDemoUsers"] = "true",
                ["JobHub:RunningHub:Accounts:0:Key"] = "primary",
                ["JobHub:RunningHub:Accounts:0:ApiKey"] = "a-real-key-0123456789",
            }, logs);

            await JobHubApp.PrepareAsync(app);

            Assert.False(await UserExistsAsync(app, DemoAccounts.AdminEmail));
            Assert.False(await UserExistsAsync(app, DemoAccounts.UserEmail));
            Assert.Contains(logs.Lines, line => line.Contains("no demo accounts are created"));
        }
        finally
        {
            await TestDatabase.DropAsync(database);
        }
    }

    [Fact]
    public async Task DemoAccounts_AreCreated_AgainstTheSimulator()
    {
        await using var sim = await SimulatorHost.StartAsync();
        await using var app = Create(new Dictionary<string, string?>(sim.JobHubSettings()) { ["JobHub:SeedDemoUsers"] = "true" }, new CapturingLoggerProvider());

        await JobHubApp.PrepareAsync(app);

        Assert.True(await UserExistsAsync(app, DemoAccounts.AdminEmail));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheSignInPage_OffersTheDemoAccounts_OnlyAgainstTheSimulator(bool realKey)
    {
        var settings = new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" };
        if (realKey)
        {
            settings["JobHub:RunningHub:Accounts:0:Key"] = "primary";
            settings["JobHub:RunningHub:Accounts:0:ApiKey"] = "a-real-key-0123456789";
        }

        await using var hub = await KestrelJobHub.StartAsync(db.ConnectionString, settings);
        using var http = new HttpClient { BaseAddress = hub.BaseAddress };

        var page = await http.GetStringAsync("/account/login");

        Assert.Contains("id=\"login-submit\"", page);
        Assert.Equal(!realKey, page.Contains(DemoAccounts.AdminPassword, StringComparison.Ordinal));
        Assert.Equal(!realKey, page.Contains(DemoAccounts.UserEmail, StringComparison.Ordinal));
    }

    private Microsoft.AspNetCore.Builder.WebApplication Create(Dictionary<string, string?> settings, CapturingLoggerProvider logs) =>
        JobHubApp.Create(["--environment", "Development"], builder =>
        {
            builder.Configuration["ConnectionStrings:JobHub"] = db.ConnectionString;
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.AddProvider(logs);
        });

    private static async Task<bool> UserExistsAsync(Microsoft.AspNetCore.Builder.WebApplication app, string email)
    {
        await using var context = await app.Services.GetRequiredService<IDbContextFactory<JobHubDbContext>>().CreateDbContextAsync();
        return await context.Users.AnyAsync(u => u.Email == email);
    }
}
