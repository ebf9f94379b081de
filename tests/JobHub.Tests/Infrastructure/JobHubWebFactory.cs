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
        // Start-up needs a RunningHub; these tests run no job, so a simulator address nothing answers on is enough.
        builder.UseSetting("JobHub:RunningHub:Simulator:BaseUrl", "http://127.0.0.1:9/rh");
        builder.UseSetting("JobHub:RunningHub:Simulator:ApiKey", Guid.NewGuid().ToString("N"));
        foreach (var (key, value) in TestRateLimits.Generous.Concat(Smtp4dev.MailSettings()))
        {
            builder.UseSetting(key, value);
        }
    }
}
