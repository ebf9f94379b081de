using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace JobHub.Tests.Infrastructure;

/// <summary>JobHub.Web in the test host, on the test class's own database.</summary>
public sealed class JobHubWebFactory(DatabaseFixture database) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:JobHub", database.ConnectionString);
        foreach (var (key, value) in TestRateLimits.Generous)
        {
            builder.UseSetting(key, value);
        }
    }
}
