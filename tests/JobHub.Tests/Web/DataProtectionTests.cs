using System.Net;
using JobHub.Bench.Load;
using JobHub.Core.Persistence;
using JobHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobHub.Tests.Web;

/// <summary>
/// The key ring that signs the sign-in cookie lives in the database: a cookie issued by one JobHub process is
/// accepted by the next one (a restart, a crash, another instance), and it is the database's keys that make it so.
/// </summary>
public sealed class DataProtectionTests : IAsyncLifetime
{
    private string database = "";

    public async Task InitializeAsync() => database = await TestDatabase.CreateMigratedAsync();

    public Task DisposeAsync() => TestDatabase.DropAsync(database);

    private static readonly Dictionary<string, string?> Quiet = new() { ["JobHub:Maintenance:Enabled"] = "false" };

    [Fact]
    public async Task ACookieFromOneProcess_IsAcceptedByTheNext_OnlyWithTheDatabasesKeys()
    {
        var cookies = new CookieContainer();
        await using (var first = await KestrelJobHub.StartAsync(TestDatabase.ConnectionStringFor(database), Quiet))
        {
            var email = (await LoadDriver.CreateUsersAsync(first.Services.GetRequiredService<IDbContextFactory<JobHubDbContext>>(), new LoadPlan { Users = 1 }))[0];
            using var http = ApiSession.Create(first.BaseAddress, cookies);
            Assert.True(await ApiSession.SignInAsync(http, cookies, email, new LoadPlan().Password));
            Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync("api/jobs/active")).StatusCode);
        }

        await using (var second = await KestrelJobHub.StartAsync(TestDatabase.ConnectionStringFor(database), Quiet))
        {
            using var http = ApiSession.Create(second.BaseAddress, cookies);
            Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync("api/jobs/active")).StatusCode);
        }

        await using (var dataSource = NpgsqlDataSource.Create(TestDatabase.ConnectionStringFor(database)))
        {
            // Stored whole, with the database's own time (the column default, not an empty date from the entity).
            Assert.True(await dataSource.ScalarAsync<bool>(
                $"SELECT bool_and(created_at > now() - interval '1 hour' AND xml LIKE '<key %' AND friendly_name <> '') FROM data_protection_keys"));
            Assert.True(await dataSource.Contexts().ExecuteAsync($"DELETE FROM data_protection_keys") >= 1);
        }

        await using (var third = await KestrelJobHub.StartAsync(TestDatabase.ConnectionStringFor(database), Quiet))
        {
            using var http = ApiSession.Create(third.BaseAddress, cookies);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/jobs/active")).StatusCode);
        }
    }
}
