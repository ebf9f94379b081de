using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Accounts;

/// <summary>The download of a person's own data: every row of theirs as the database holds it, nobody else's.</summary>
public sealed class ExportAccountDataTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private ExportAccountData Export => h.Services.GetRequiredService<ExportAccountData>();

    [Fact]
    public async Task Export_HoldsTheAccount_EveryJobWithItsParametersAndFiles_AndTheLedger_AsTheDatabaseHasThem()
    {
        var user = await h.CreateUserAsync(30);
        var other = await h.CreateUserAsync(30);
        var first = (await h.SubmitAsync(user, "image-upscaler", new Dictionary<string, string?>
            { ["category"] = "people", ["framing"] = "close", ["version"] = "pro", ["prompt"] = "a portrait by the sea" })).Job!;
        await h.Launcher.WhenIdleAsync();
        await h.Cancel.HandleAsync(new CancelJobRequest(first.Id, user, JobCause.User, JobErrorCodes.CancelledByUser, "changed my mind"));
        var second = (await h.SubmitAsync(user)).Job!;
        await h.Launcher.WhenIdleAsync();
        var othersJob = (await h.SubmitAsync(other, "image-upscaler", new Dictionary<string, string?>
            { ["category"] = "people", ["framing"] = "close", ["version"] = "pro", ["prompt"] = "someone else's secret" })).Job!;

        var data = await Export.HandleAsync(user);

        Assert.NotNull(data);
        Assert.Equal(user, data.Account.Id);
        Assert.Equal(await h.ScalarAsync<string>($"SELECT email FROM users WHERE id = {user}"), data.Account.Email);
        Assert.Equal(await h.BalanceAsync(user), data.Account.CreditBalance);
        Assert.Equal("pt-BR", data.Account.Language);
        Assert.Equal([first.Id, second.Id], data.Jobs.Select(j => j.Id));
        foreach (var exported in data.Jobs)
        {
            var row = await h.GetJobAsync(exported.Id);
            Assert.Equal(row.ToolKey, exported.Tool);
            Assert.Equal(row.Status, exported.Status);
            Assert.Equal(row.ParameterValues, exported.Parameters);
            Assert.Equal(row.CreditCost, exported.CreditCost);
            Assert.Equal(row.CreatedAt, exported.CreatedAt);
            Assert.Equal(row.CompletedAt, exported.CompletedAt);
            Assert.Equal(row.ErrorCode, exported.ErrorCode);
            Assert.Equal(row.InputFiles.Select(i => (i.Key, i.OriginalName, i.Bytes)), exported.Inputs.Select(i => (i.Key, i.OriginalName, i.Bytes)));
        }

        Assert.Equal("a portrait by the sea", data.Jobs[0].Parameters["prompt"]);
        Assert.Equal(JobStatus.Cancelled, data.Jobs[0].Status);
        var ledger = await h.QueryAsync<long>($"SELECT id FROM credit_ledger WHERE user_id = {user} ORDER BY id");
        Assert.Equal(ledger, data.Ledger.Select(l => l.Id));
        Assert.Equal(["grant", "debit", "refund", "debit"], data.Ledger.Select(l => l.Kind));
        Assert.Equal(data.Account.CreditBalance, data.Ledger.Sum(l => l.Amount));

        var json = System.Text.Json.JsonSerializer.Serialize(data);
        Assert.DoesNotContain(othersJob.Id.ToString(), json);
        Assert.DoesNotContain("someone else's secret", json);
        Assert.DoesNotContain(await h.ScalarAsync<string>($"SELECT email FROM users WHERE id = {other}"), json);
    }

    [Fact]
    public async Task Export_OfADeletedOrUnknownAccount_IsNothing()
    {
        var user = await h.CreateUserAsync(10);
        await h.Db.ExecuteAsync($"UPDATE users SET deleted_at = now() WHERE id = {user}");

        Assert.Null(await Export.HandleAsync(user));
        Assert.Null(await Export.HandleAsync(Guid.NewGuid()));
    }
}
