using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Web;

/// <summary>Bad configuration stops start-up with a message that names the bad entry; nothing is served.</summary>
public sealed class StartupConfigurationTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("JobHub:Tools:pose-changer:Webapps:0:WebappId", "not-an-id", "JobHub:Tools:pose-changer: Webapps[0] WebappId 'not-an-id'")]
    [InlineData("JobHub:MaxConcurrent", "0", "MaxConcurrent")]
    [InlineData("JobHub:PublicBaseUrl", "", "PublicBaseUrl")]
    [InlineData("JobHub:Maintenance:OutputCopyBatchWindow", "00:00:10", "OutputCopyBatchWindow")]
    [InlineData("JobHub:Maintenance:OutputCopyBatchWindow", "-00:00:01", "OutputCopyBatchWindow")]
    [InlineData("JobHub:Mail:From", "not an address", "Mail:From")]
    [InlineData("JobHub:Mail:Port", "0", "Port")]
    [InlineData("JobHub:Mail:User", "someone", "Mail:Password")]
    public async Task BadSetting_StopsStartup_NamingIt(string key, string value, string expected)
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            KestrelJobHub.StartAsync(db.ConnectionString, new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(expected, string.Join(" ", ex.Failures));
    }

    [Fact]
    public async Task BadConnectionString_StopsStartup_WithAClearMessage()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => KestrelJobHub.StartAsync("Host=127.0.0.1;Port=notaport"));

        Assert.Contains("ConnectionStrings:JobHub", ex.Message);
    }
}
