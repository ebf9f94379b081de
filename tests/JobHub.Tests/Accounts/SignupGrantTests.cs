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

    private async Task<(Guid Id, string Token)> SignUpAsync(string? email = null)
    {
        using var scope = hub.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<JobHubUser>>();
        email ??= $"{Guid.NewGuid():N}@example.test";
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

    private async Task<byte[]> FingerprintAsync(Guid id) =>
        await hub.Services.GetRequiredService<GrantedAddresses>().FingerprintAsync((await hub.QueryAsync<string>($"SELECT email FROM users WHERE id = {id}")).Single());

    private async Task<Guid> SignUpAndConfirmAsync(string email)
    {
        var (id, token) = await SignUpAsync(email);
        Assert.True((await ConfirmAsync(id, token)).Succeeded);
        return id;
    }

    private async Task DeleteAsync(Guid id)
    {
        var deleted = await hub.Services.GetRequiredService<DeleteAccount>().HandleAsync(new DeleteAccountRequest(id, "a-long-password-1"));
        Assert.True(deleted.Succeeded, deleted.ErrorCode);
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
            Assert.Null(await SignupGrant.GiveOnceAsync(db, id, await FingerprintAsync(id), 20, DateTime.UtcNow));
        }

        await hub.Services.GetRequiredService<AccountMailRequests>().RequestPasswordResetAsync(placeholder);
        Assert.Equal(0, await hub.ScalarAsync<long>($"SELECT count(*) FROM hangfire.job WHERE arguments::text LIKE {"%" + id + "%"}"));
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
            var balance = await SignupGrant.GiveOnceAsync(db, id, await FingerprintAsync(id), 20, DateTime.UtcNow);
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

    [Fact]
    public async Task AnAddressSignedUpAgain_AfterItsAccountWasDeleted_GetsNoSecondGrant()
    {
        var email = $"{Guid.NewGuid():N}@example.test";
        var first = await SignUpAndConfirmAsync(email);
        await DeleteAsync(first);

        var (again, token) = await SignUpAsync(email.ToUpperInvariant());
        var requests = hub.Services.GetRequiredService<AccountMailRequests>();
        Assert.True((await requests.StatusAsync(again))!.WelcomeCreditsUsed); // the pages say so before the confirmation
        Assert.True((await ConfirmAsync(again, token)).Succeeded);

        Assert.Equal([20], await GrantsAsync(first));
        Assert.Empty(await GrantsAsync(again));
        Assert.Equal(0, await hub.BalanceAsync(again));
        Assert.True((await requests.StatusAsync(again))!.WelcomeCreditsUsed);
    }

    [Fact]
    public async Task AnAccountGrantedBeforeFingerprintsExisted_IsRememberedAtItsDeletion()
    {
        var email = $"{Guid.NewGuid():N}@example.test";
        var first = await SignUpAndConfirmAsync(email);
        await hub.Db.ExecuteAsync($"DELETE FROM granted_addresses");
        await DeleteAsync(first);

        var again = await SignUpAndConfirmAsync(email);

        Assert.Empty(await GrantsAsync(again));
    }

    [Fact]
    public async Task AnAliasOfAGrantedAddress_GetsNoGrant_ButAnotherAddressDoes()
    {
        var name = $"p{Guid.NewGuid():N}"[..20];
        var first = await SignUpAndConfirmAsync($"{name[..5]}.{name[5..]}@gmail.com");

        var plus = await SignUpAndConfirmAsync($"{name}+again@gmail.com");
        var google = await SignUpAndConfirmAsync($"{name.ToUpperInvariant()}@googlemail.com");
        var other = await SignUpAndConfirmAsync($"{name}@example.test");

        Assert.Equal([20], await GrantsAsync(first));
        Assert.False((await hub.Services.GetRequiredService<AccountMailRequests>().StatusAsync(first))!.WelcomeCreditsUsed);
        Assert.Empty(await GrantsAsync(plus));
        Assert.Empty(await GrantsAsync(google));
        Assert.Equal([20], await GrantsAsync(other));
    }

    [Fact]
    public async Task AliasesConfirmedAtOnce_ShareOneGrant()
    {
        var name = $"q{Guid.NewGuid():N}"[..20];
        var accounts = new List<(Guid Id, string Token)>();
        for (var i = 0; i < 6; i++)
        {
            accounts.Add(await SignUpAsync($"{name}+{i}@example.test"));
        }

        await Task.WhenAll(accounts.Select(a => Task.Run(() => ConfirmAsync(a.Id, a.Token))));

        var grants = new List<int>();
        foreach (var (id, _) in accounts)
        {
            grants.AddRange(await GrantsAsync(id));
        }

        Assert.Equal([20], grants);
    }

    [Fact]
    public async Task TheTableHoldsNoAddress_OnlyAKeyedFingerprint()
    {
        var email = $"{Guid.NewGuid():N}@example.test";
        await SignUpAndConfirmAsync(email);
        var plain = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(email));

        var stored = await hub.QueryAsync<byte[]>($"SELECT fingerprint FROM granted_addresses");

        Assert.Contains(await hub.Services.GetRequiredService<GrantedAddresses>().FingerprintAsync(email), stored);
        Assert.DoesNotContain(stored, f => f.AsSpan().SequenceEqual(plain) || System.Text.Encoding.UTF8.GetString(f).Contains(email[..8], StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(" Ana.Silva+jobs@Gmail.com ", "anasilva@gmail.com")]
    [InlineData("ana.silva@googlemail.com", "anasilva@gmail.com")]
    [InlineData("Ana.Silva+x@Example.COM", "ana.silva@example.com")]
    [InlineData("+tag@example.com", "+tag@example.com")]
    public void AMailbox_IsTheAddressAsItsInboxReceivesIt(string email, string mailbox) =>
        Assert.Equal(mailbox, GrantedAddresses.Mailbox(email));

    [Fact]
    public async Task AResetForAnUnknownAddress_DoesTheSameWork_AsForAnAccount_AndSendsNothing()
    {
        var (id, _) = await SignUpAsync();
        var email = (await hub.QueryAsync<string>($"SELECT email FROM users WHERE id = {id}")).Single();
        var requests = hub.Services.GetRequiredService<AccountMailRequests>();
        var before = await hub.ScalarAsync<long>($"SELECT count(*) FROM hangfire.job WHERE invocationdata::text LIKE '%SendAccountMail%'");

        await requests.RequestPasswordResetAsync(email);
        await requests.RequestPasswordResetAsync($"nobody-{Guid.NewGuid():N}@example.test");

        Assert.Equal(before + 2, await hub.ScalarAsync<long>($"SELECT count(*) FROM hangfire.job WHERE invocationdata::text LIKE '%SendAccountMail%'"));
        using var scope = hub.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<SendAccountMail>().RunAsync(Guid.Empty, AccountMailKind.PasswordReset, CancellationToken.None);
    }
}
