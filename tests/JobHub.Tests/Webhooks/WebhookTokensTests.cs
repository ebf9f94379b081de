using JobHub.Core;
using JobHub.Core.Persistence;
using JobHub.Core.Webhooks;
using JobHub.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Webhooks;

/// <summary>With no secret configured, the instances that start together generate one secret between them, kept in the database.</summary>
public sealed class WebhookTokensTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    [Fact]
    public async Task InstancesStartingTogether_ShareOneGeneratedSecret()
    {
        var contexts = h.Services.GetRequiredService<IDbContextFactory<JobHubDbContext>>();
        var options = Options.Create(new JobHubOptions { WebhookSecret = null }); // none configured: generated and shared
        var job = Guid.NewGuid();

        var tokens = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => new WebhookTokens(new ServerSecrets(contexts), options).CreateTokenAsync(job))));

        Assert.Single(tokens.Distinct());
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM app_settings WHERE key = 'webhook_secret'"));
        Assert.True(await new WebhookTokens(new ServerSecrets(contexts), options).VerifyAsync(job, tokens[0]));
        Assert.False(await new WebhookTokens(new ServerSecrets(contexts), options).VerifyAsync(Guid.NewGuid(), tokens[0]));
    }
}
