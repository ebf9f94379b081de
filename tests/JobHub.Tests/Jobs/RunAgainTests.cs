using JobHub.Core.Jobs;
using JobHub.Core.Storage;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Jobs;

/// <summary>
/// "Run again": a new job with an ended job's settings and stored inputs, charged as any job, its inputs copies it owns;
/// refused with nothing created, charged or left in storage when the files are gone, the balance is short, another job is
/// active or the job is not the person's.
/// </summary>
public sealed class RunAgainTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["category"] = "people", ["framing"] = "close", ["version"] = "pro", ["prompt"] = "the same prompt",
    };

    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private RunAgain Again => h.Services.GetRequiredService<RunAgain>();

    private IFileStorage Storage => h.Services.GetRequiredService<IFileStorage>();

    private async Task<Job> EndedJobAsync(Guid userId)
    {
        var submitted = await h.SubmitAsync(userId, "image-upscaler", Settings);
        Assert.True(submitted.Job is not null, submitted.ErrorMessage);
        await h.Launcher.WhenIdleAsync();
        await h.Cancel.HandleAsync(new CancelJobRequest(submitted.Job!.Id, userId, JobCause.User, JobErrorCodes.CancelledByUser, "again later"));
        return await h.GetJobAsync(submitted.Job.Id);
    }

    private Task<long> JobsAsync() => h.ScalarAsync<long>($"SELECT count(*) FROM jobs");

    private async Task<int> StoredInputsAsync() => (await Storage.ListOlderThanAsync("inputs", DateTime.UtcNow.AddDays(1), 100_000)).Count;

    [Fact]
    public async Task RunAgain_MakesANewJob_WithTheSameSettings_AndCopiesOfTheSameFiles_ChargedOnce()
    {
        var user = await h.CreateUserAsync(100);
        var ended = await EndedJobAsync(user);
        var balance = await h.BalanceAsync(user);
        var plan = await Again.PlanAsync(user, ended.Id);
        Assert.NotNull(plan);
        Assert.False(plan.InputsGone);
        Assert.Equal(ended.CreditCost, plan.Cost);
        Assert.Equal(balance, plan.Balance);

        var result = await Again.HandleAsync(user, ended.Id);

        Assert.True(result.Succeeded, result.ErrorMessage);
        var again = await h.GetJobAsync(result.Job!.Id);
        Assert.NotEqual(ended.Id, again.Id);
        Assert.Equal(ended.ParameterValues, again.ParameterValues);
        Assert.Equal(balance - ended.CreditCost, await h.BalanceAsync(user));
        var (before, after) = (ended.InputFiles.Single(), again.InputFiles.Single());
        Assert.NotEqual(before.StoredName, after.StoredName);
        Assert.Equal(before with { StoredName = after.StoredName, ScaledName = after.ScaledName }, after);
        Assert.Equal(await BytesAsync(before.StoredName), await BytesAsync(after.StoredName));
        await h.AssertCreditsConsistentAsync();
    }

    [Fact]
    public async Task TheOldJobsRetention_LeavesTheNewJobsInputs()
    {
        var user = await h.CreateUserAsync(100);
        var ended = await EndedJobAsync(user);
        var again = (await Again.HandleAsync(user, ended.Id)).Job!;
        await h.Db.ExecuteAsync($"UPDATE jobs SET completed_at = {h.Clock.GetUtcNow().UtcDateTime.AddDays(-400)} WHERE id = {ended.Id}");

        await h.Services.GetServices<Core.Maintenance.IMaintenanceTask>().OfType<Core.Maintenance.RetentionSweep>().Single().RunAsync(CancellationToken.None);

        Assert.False(await Storage.ExistsAsync(ended.InputFiles.Single().StoredName));
        Assert.True(await Storage.AllExistAsync((await h.GetJobAsync(again.Id)).InputFiles.SelectMany(i => i.Files)));
    }

    [Fact]
    public async Task WhenTheFilesAreGone_ItSaysSo_AndCreatesNothing()
    {
        var user = await h.CreateUserAsync(100);
        var ended = await EndedJobAsync(user);
        await Storage.DeleteAsync(ended.InputFiles.Single().StoredName);
        var (jobs, balance) = (await JobsAsync(), await h.BalanceAsync(user));

        Assert.True((await Again.PlanAsync(user, ended.Id))!.InputsGone);
        var result = await Again.HandleAsync(user, ended.Id);

        Assert.Equal(RunAgainErrors.InputsGone, result.ErrorCode);
        Assert.Equal(jobs, await JobsAsync());
        Assert.Equal(balance, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task WithTooFewCredits_OrAnotherJobActive_ItIsRefused_AndNoCopyStays()
    {
        var user = await h.CreateUserAsync(100);
        var ended = await EndedJobAsync(user);
        var files = await StoredInputsAsync();
        var jobs = await JobsAsync();
        await h.Db.ExecuteAsync($"UPDATE users SET credit_balance = 0 WHERE id = {user}");
        Assert.False((await Again.PlanAsync(user, ended.Id))!.CanAfford);

        Assert.Equal(SubmitErrors.InsufficientCredits, (await Again.HandleAsync(user, ended.Id)).ErrorCode);

        await h.Db.ExecuteAsync($"UPDATE users SET credit_balance = 100 WHERE id = {user}");
        var active = await h.SubmitAsync(user, "image-upscaler", Settings);
        Assert.True(active.Succeeded);
        Assert.Equal(SubmitErrors.ActiveJobExists, (await Again.HandleAsync(user, ended.Id)).ErrorCode);
        Assert.Equal(files + 1, await StoredInputsAsync()); // the active job's own input, no copy
        Assert.Equal(jobs + 1, await JobsAsync());
    }

    [Fact]
    public async Task AnotherPersonsJob_OrAnActiveOne_IsNotFound()
    {
        var owner = await h.CreateUserAsync(100);
        var stranger = await h.CreateUserAsync(100);
        var ended = await EndedJobAsync(owner);
        var jobs = await JobsAsync();

        Assert.Null(await Again.PlanAsync(stranger, ended.Id));
        Assert.Equal(RunAgainErrors.JobNotFound, (await Again.HandleAsync(stranger, ended.Id)).ErrorCode);
        var active = (await h.SubmitAsync(owner, "image-upscaler", Settings)).Job!;
        Assert.Null(await Again.PlanAsync(owner, active.Id));
        Assert.Equal(jobs + 1, await JobsAsync());
        Assert.Equal(100, await h.BalanceAsync(stranger));
    }

    private async Task<byte[]> BytesAsync(string storedName)
    {
        await using var content = await Storage.OpenReadAsync(storedName);
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy);
        return copy.ToArray();
    }
}
