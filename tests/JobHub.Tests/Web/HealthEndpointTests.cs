using System.Net;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Web;

public sealed class HealthEndpointTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Health_AnswersOk()
    {
        await using var factory = new JobHubWebFactory(db);
        using var client = factory.CreateClient();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ready_AnswersOk_WhenDatabaseMigrated()
    {
        await using var factory = new JobHubWebFactory(db);
        using var client = factory.CreateClient();

        var response = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}

public sealed class ReadinessWithoutDatabaseTests
{
    [Fact]
    public async Task Ready_AnswersServiceUnavailable_WhenDatabaseUnreachable()
    {
        // Started against a healthy database, then pointed at a port where nothing listens.
        var db = new DatabaseFixture();
        await db.InitializeAsync();
        try
        {
            await using var factory = new JobHubWebFactory(db);
            using var client = factory.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

            await TestDatabase.DropAsync(db.Name);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        }
        finally
        {
            await db.DisposeAsync();
        }
    }
}
