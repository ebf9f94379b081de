using JobHub.Core.Accounts;
using JobHub.Core.Admin;
using JobHub.Core.Invariants;
using JobHub.Core.Jobs;
using JobHub.Core.Storage;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Accounts;

/// <summary>
/// A person deletes their account: refused without their own password, and once done the active job is cancelled and
/// refunded (at RunningHub too), their files and typed texts are gone, the row is anonymised and the books still balance.
/// </summary>
public sealed class DeleteAccountTests : IAsyncLifetime
{
    private const string Password = "the-right-password-1";
    private static readonly Dictionary<string, string?> WithPrompt = new()
    {
        ["category"] = "people", ["framing"] = "close", ["version"] = "pro", ["prompt"] = "my very personal prompt",
    };

    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private DeleteAccount Deletion => h.Services.GetRequiredService<DeleteAccount>();

    private IFileStorage Storage => h.Services.GetRequiredService<IFileStorage>();

    private async Task<List<string>> StillStoredAsync(IEnumerable<string> files)
    {
        var stored = new List<string>();
        foreach (var file in files)
        {
            if (await Storage.ExistsAsync(file))
            {
                stored.Add(file);
            }
        }

        return stored;
    }

    private async Task<Guid> UserWithPasswordAsync(int credits = 20, string password = Password)
    {
        var id = await h.CreateUserAsync(credits);
        var hash = new PasswordHasher<JobHubUser>().HashPassword(new JobHubUser(), password);
        await h.Db.ExecuteAsync($"UPDATE users SET password_hash = {hash} WHERE id = {id}");
        return id;
    }

    private async Task<Job> RunningJobAsync(Guid userId)
    {
        var submitted = await h.SubmitAsync(userId, "image-upscaler", WithPrompt);
        Assert.True(submitted.Job is not null, submitted.ErrorMessage);
        await h.Launcher.WhenIdleAsync();
        var job = await h.GetJobAsync(submitted.Job!.Id);
        Assert.Equal(JobStatus.Running, job.Status);
        return job;
    }

    private async Task AssertBooksBalanceAsync()
    {
        await h.AssertCreditsConsistentAsync();
        var violations = await h.Services.GetRequiredService<InvariantChecker>().CheckAsync();
        Assert.Empty(violations);
    }

    [Fact]
    public async Task ADeletionCutShortAfterItsMark_IsFinishedByTheRetentionSweep_Once()
    {
        var user = await UserWithPasswordAsync();
        var job = await RunningJobAsync(user);
        var files = job.InputFiles.SelectMany(i => i.Files).ToList();
        // What a crash right after the deletion's first commit leaves: the account marked, its job and files untouched.
        await h.Db.ExecuteAsync($"UPDATE users SET deleted_at = now(), password_hash = NULL WHERE id = {user}");
        var retention = h.Services.GetServices<JobHub.Core.Maintenance.IMaintenanceTask>().Single(t => t.Key == JobHub.Core.Maintenance.MaintenanceTaskKeys.Retention);

        var first = await retention.RunAsync(CancellationToken.None);
        var second = await retention.RunAsync(CancellationToken.None);

        Assert.Equal(1, first.GetValueOrDefault("deletions_finished"));
        Assert.Equal(0, second.GetValueOrDefault("deletions_finished"));
        var ended = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Cancelled, ended.Status);
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM credit_ledger WHERE job_id = {job.Id} AND kind = 'refund'"));
        Assert.Empty(await StillStoredAsync(files));
        Assert.Equal("{}", await h.ScalarAsync<string>($"SELECT parameters::text FROM jobs WHERE id = {job.Id}"));
        await AssertBooksBalanceAsync();
    }

    [Fact]
    public async Task Delete_CancelsAndRefundsTheRunningJob_AtRunningHubToo_DeletesItsFiles_AndAnonymisesTheRow()
    {
        var user = await UserWithPasswordAsync();
        var job = await RunningJobAsync(user);
        var files = job.InputFiles.SelectMany(i => i.Files).ToList();
        Assert.True(await Storage.AllExistAsync(files));
        var email = await h.ScalarAsync<string>($"SELECT email FROM users WHERE id = {user}");
        var stamp = await h.ScalarAsync<string>($"SELECT security_stamp FROM users WHERE id = {user}");

        var result = await Deletion.HandleAsync(new DeleteAccountRequest(user, Password));

        Assert.True(result.Succeeded, result.ErrorCode);
        Assert.Equal(job.Id, result.CancelledJobId);
        var ended = await h.GetJobAsync(job.Id);
        Assert.Equal(JobStatus.Cancelled, ended.Status);
        Assert.Contains(h.RunningHub.Cancels, c => c.TaskId == job.TaskId);
        Assert.Equal(1, await h.ScalarAsync<int>($"SELECT count(*)::int FROM credit_ledger WHERE job_id = {job.Id} AND kind = 'refund'"));
        Assert.Equal(20, await h.BalanceAsync(user));
        Assert.Empty(await StillStoredAsync(files));
        Assert.NotNull(ended.FilesDeletedAt);
        Assert.Empty(ended.ParameterValues);
        Assert.All(ended.InputFiles, i => Assert.Null(i.OriginalName));

        var placeholder = DeleteAccount.Placeholder(user);
        Assert.Equal(placeholder, await h.ScalarAsync<string>($"SELECT email FROM users WHERE id = {user}"));
        Assert.Equal(placeholder.ToUpperInvariant(), await h.ScalarAsync<string>($"SELECT normalized_user_name FROM users WHERE id = {user}"));
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM users WHERE email = {email} OR normalized_email = upper({email})"));
        Assert.True(await h.ScalarAsync<bool>($"SELECT password_hash IS NULL AND deleted_at IS NOT NULL AND lockout_end > now() + interval '100 years' FROM users WHERE id = {user}"));
        Assert.NotEqual(stamp, await h.ScalarAsync<string>($"SELECT security_stamp FROM users WHERE id = {user}"));
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM user_roles WHERE user_id = {user}"));
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM uploads WHERE user_id = {user}"));
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs WHERE user_id = {user} AND parameters::text LIKE '%personal%'"));
        var row = await h.Services.GetRequiredService<AdminQueries>().UserAsync(user);
        Assert.NotNull(row!.DeletedAt);
        await AssertBooksBalanceAsync();
    }

    [Fact]
    public async Task Delete_WithAWrongPassword_OrAnotherPersonsPassword_ChangesNothing()
    {
        var victim = await UserWithPasswordAsync();
        var attacker = await UserWithPasswordAsync(password: "the-attackers-password-1");
        var job = await RunningJobAsync(victim);

        foreach (var password in new[] { "a-wrong-password", "the-attackers-password-1", "" })
        {
            var result = await Deletion.HandleAsync(new DeleteAccountRequest(victim, password));
            Assert.Equal(DeleteAccountErrors.WrongPassword, result.ErrorCode);
        }

        Assert.Equal(JobStatus.Running, (await h.GetJobAsync(job.Id)).Status);
        Assert.True(await h.ScalarAsync<bool>($"SELECT deleted_at IS NULL AND password_hash IS NOT NULL FROM users WHERE id = {victim}"));
        Assert.True(await Storage.AllExistAsync(job.InputFiles.SelectMany(i => i.Files)));
        Assert.Empty(h.RunningHub.Cancels);
        Assert.True(await h.ScalarAsync<bool>($"SELECT deleted_at IS NULL FROM users WHERE id = {attacker}"));
    }

    [Fact]
    public async Task Delete_Twice_IsRefusedTheSecondTime_AndAnUnknownAccountIsNotFound()
    {
        var user = await UserWithPasswordAsync();
        Assert.True((await Deletion.HandleAsync(new DeleteAccountRequest(user, Password))).Succeeded);

        Assert.Equal(DeleteAccountErrors.NoSuchAccount, (await Deletion.HandleAsync(new DeleteAccountRequest(user, Password))).ErrorCode);
        Assert.Equal(DeleteAccountErrors.NoSuchAccount, (await Deletion.HandleAsync(new DeleteAccountRequest(Guid.NewGuid(), Password))).ErrorCode);
    }

    [Fact]
    public async Task Submit_AfterTheDeletion_CreatesAndChargesNothing()
    {
        var user = await UserWithPasswordAsync();
        Assert.True((await Deletion.HandleAsync(new DeleteAccountRequest(user, Password))).Succeeded);

        var submitted = await h.SubmitAsync(user);

        Assert.Null(submitted.Job);
        Assert.Equal(SubmitErrors.UserUnknown, submitted.ErrorCode);
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs WHERE user_id = {user}"));
        Assert.Equal(20, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task Upload_AfterTheDeletion_StoresAndRecordsNothing()
    {
        var user = await UserWithPasswordAsync();
        Assert.True((await Deletion.HandleAsync(new DeleteAccountRequest(user, Password))).Succeeded);

        var stored = await h.StoreInput.HandleAsync(user, "pose-changer", "person", new MemoryStream(SampleMedia.Png(16, 12)), "me.png", long.MaxValue,
            CancellationToken.None);

        Assert.Null(stored.Input);
        Assert.Equal(SubmitErrors.UserUnknown, stored.ErrorCode);
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM uploads WHERE user_id = {user}"));
    }

    [Fact]
    public async Task Delete_RacingSubmits_LeavesNoActiveJob_AndEveryChargeOfAnEndedJobRefunded()
    {
        var users = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            users.Add(await UserWithPasswordAsync(credits: 100));
        }

        // Inputs stored up front, so the submits and the deletion meet at the admission, not in the uploads.
        var inputs = await h.InputsForAsync("pose-changer");
        var submit = h.Submit;
        var work = users.SelectMany(user => Enumerable.Range(0, 4)
                .Select(_ => Task.Run(async () => await submit.HandleAsync(new SubmitJobRequest(user, "pose-changer", inputs, new Dictionary<string, string?>()))))
                .Cast<Task>()
                .Append(Task.Run(async () => Assert.True((await Deletion.HandleAsync(new DeleteAccountRequest(user, Password))).Succeeded))))
            .ToList();
        await Task.WhenAll(work);
        await h.Launcher.WhenIdleAsync();

        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM jobs WHERE user_id = ANY({users.ToArray()}) AND status IN ('queued', 'starting', 'running')"));
        Assert.Equal(users.Count * 100, await h.ScalarAsync<int>($"SELECT sum(credit_balance)::int FROM users WHERE id = ANY({users.ToArray()})"));
        await AssertBooksBalanceAsync();
    }
}
