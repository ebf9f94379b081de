using JobHub.Core.Accounts;
using JobHub.Core.Persistence;
using JobHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Accounts;

/// <summary>The sign-up grant: none at sign-up, once at the confirmation, whatever the number of confirmations at once.</summary>
public sealed class SignupGrantTests : IAsyncLifetime
{
    private LiveJobHub hub = null!;

    public async Task InitializeAsync() => hub = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:SignupCredits"] = "20" });

    public async Task DisposeAsync() => await hub.DisposeAsync();

    private async Task<(Guid Id, string Token)> SignUpAsync()
    {
        using var scope = hub.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<JobHubUser>>();
        var email = $"{Guid.NewGuid():N}@example.test";
        var user = new JobHubUser { Email = email, UserName = email };
        Assert.True((await users.CreateAsync(user, "a-long-password-1")).Succeeded);
        return (user.Id, await users.GenerateEmailConfirmationTokenAsync(user));
    }

    private async Task<IdentityResult> ConfirmAsync(Guid id, string token)
    {
        using var scope = hub.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<JobHubUser>>();
        return await users.ConfirmEmailAsync((await users.FindByIdAsync(id.ToString()))!, token);
    }

    private Task<IReadOnlyList<int>> GrantsAsync(Guid id) =>
        hub.QueryAsync<int>($"SELECT amount FROM credit_ledger WHERE user_id = {id} AND reason = {SignupGrant.Reason}");

    [Fact]
    public async Task ADeletedAccount_GetsNoGrant_NorAMail_NorAReset()
    {
        var (id, _) = await SignUpAsync();
        var placeholder = DeleteAccount.Placeholder(id);
        await hub.Db.ExecuteAsync($"UPDATE users SET email_confirmed = true, deleted_at = now(), email = {placeholder}, normalized_email = {placeholder.ToUpperInvariant()} WHERE id = {id}");

        await using (var db = await hub.Db.CreateDbContextAsync())
        {
            Assert.Null(await SignupGrant.GiveOnceAsync(db, id, 20, DateTime.UtcNow));
        }

        var jobs = await hub.ScalarAsync<long>($"SELECT count(*) FROM hangfire.job");
        await hub.Services.GetRequiredService<AccountMailRequests>().RequestPasswordResetAsync(placeholder);
        Assert.Equal(jobs, await hub.ScalarAsync<long>($"SELECT count(*) FROM hangfire.job"));
        Assert.Empty(await GrantsAsync(id));
    }

    [Fact]
    public async Task SignUp_GrantsNothing_TheConfirmationGrantsOnce_AndAgainNothing()
    {
        var (id, token) = await SignUpAsync();
        Assert.Equal(0, await hub.BalanceAsync(id));

        Assert.True((await ConfirmAsync(id, token)).Succeeded);
        Assert.True((await ConfirmAsync(id, token)).Succeeded);

        Assert.Equal([20], await GrantsAsync(id));
        Assert.Equal(20, await hub.BalanceAsync(id));
    }

    [Fact]
    public async Task ManyConfirmationsAtOnce_GiveOneGrant()
    {
        var (id, token) = await SignUpAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => ConfirmAsync(id, token))));

        Assert.Contains(results, r => r.Succeeded);
        Assert.Equal([20], await GrantsAsync(id));
        Assert.Equal(20, await hub.BalanceAsync(id));
    }

    [Fact]
    public async Task TheGrantStatement_RunAtOnceOnManyConnections_GivesOneGrant()
    {
        // Past Identity's concurrency stamp: the statement alone must decide.
        var (id, _) = await SignUpAsync();
        await hub.Db.ExecuteAsync($"UPDATE users SET email_confirmed = true WHERE id = {id}");
        using var start = new Barrier(8);

        var given = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await using var db = await hub.Db.CreateDbContextAsync();
            await using var transaction = await db.Database.BeginTransactionAsync();
            start.SignalAndWait();
            var balance = await SignupGrant.GiveOnceAsync(db, id, 20, DateTime.UtcNow);
            await transaction.CommitAsync();
            return balance;
        })));

        Assert.Single(given, b => b is not null);
        Assert.Equal([20], await GrantsAsync(id));
    }

    [Fact]
    public async Task AnAccountMadeConfirmed_HasItsGrantAtOnce()
    {
        using var scope = hub.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<JobHubUser>>();
        var email = $"{Guid.NewGuid():N}@example.test";
        var user = new JobHubUser { Email = email, UserName = email, EmailConfirmed = true };

        Assert.True((await users.CreateAsync(user, "a-long-password-1")).Succeeded);

        Assert.Equal([20], await GrantsAsync(user.Id));
    }
}
