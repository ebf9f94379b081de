using System.Security.Claims;
using JobHub.Core.Accounts;
using JobHub.Core.Admin;
using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Admin;

/// <summary>
/// Every admin action, once with valid input and once with each kind of invalid input: a refusal names its reason
/// (a code the page words in its language), and changes nothing: no job, no balance, no pause, no audit record. A new
/// action or a new kind of bad input is one line in <see cref="Cases"/>.
/// </summary>
public sealed class AdminActionsTests : IAsyncLifetime
{
    private EngineHarness h = null!;
    private ClaimsPrincipal admin = null!;
    private Guid user, running, ended;

    public async Task InitializeAsync()
    {
        h = await EngineHarness.CreateAsync();
        var adminId = await h.CreateUserAsync(0);
        admin = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, adminId.ToString()), new Claim(ClaimTypes.Role, Roles.Admin), new Claim(ClaimTypes.Email, "admin@test")], "test"));
        user = await h.CreateUserAsync(10);
        running = (await h.RunningJobAsync()).Id;
        var finished = await h.RunningJobAsync();
        await h.Finish.CompleteAsync(finished.Id, [], null, JobCause.Webhook);
        ended = finished.Id;
    }

    public async Task DisposeAsync() => await h.DisposeAsync();

    private AdminActions Actions => h.Services.GetRequiredService<AdminActions>();

    private static readonly string LongReason = new('x', AdminActions.MaxReason + 1);

    public static TheoryData<string, string?> Cases => new()
    {
        // action and its input → the refusal expected (null: it succeeds)
        { "reconcile running", null },
        { "reconcile no-reason", AdminErrors.ReasonRequired },
        { "reconcile long-reason", AdminErrors.ReasonTooLong },
        { "reconcile unknown-job", AdminErrors.NoSuchJob },
        { "cancel running", null },
        { "cancel no-reason", AdminErrors.ReasonRequired },
        { "cancel unknown-job", AdminErrors.NoSuchJob },
        { "cancel ended-job", AdminErrors.JobAlreadyEnded },
        { "adjust +5", null },
        { "adjust no-reason", AdminErrors.ReasonRequired },
        { "adjust zero", AdminErrors.AmountInvalid },
        { "adjust too-much", AdminErrors.AmountInvalid },
        { "adjust below-zero", AdminErrors.BalanceBelowZero },
        { "adjust unknown-user", AdminErrors.NoSuchUser },
        { "adjust deleted-user", AdminErrors.AccountDeleted },
        { "run-task retention", null },
        { "run-task no-reason", AdminErrors.ReasonRequired },
        { "run-task unknown-task", AdminErrors.NoSuchTask },
        { "pause retention", null },
        { "pause no-reason", AdminErrors.ReasonRequired },
        { "pause unknown-task", AdminErrors.NoSuchTask },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EachAction_SucceedsWithValidInput_AndRefusesEachKindOfInvalidInput_ChangingNothing(string scenario, string? refusal)
    {
        var (action, input) = (scenario.Split(' ')[0], scenario.Split(' ')[1]);
        var reason = input switch { "no-reason" => "  ", "long-reason" => LongReason, _ => "checked with the user" };
        if (input == "deleted-user")
        {
            await h.Db.ExecuteAsync($"UPDATE users SET deleted_at = now() WHERE id = {user}");
        }

        var before = await SnapshotAsync();

        var result = action switch
        {
            "reconcile" => await Actions.ReconcileAsync(admin, input == "unknown-job" ? Guid.NewGuid() : running, reason),
            "cancel" => await Actions.CancelAsync(admin, input switch { "unknown-job" => Guid.NewGuid(), "ended-job" => ended, _ => running }, reason),
            "adjust" => await Actions.AdjustCreditsAsync(admin, input == "unknown-user" ? Guid.NewGuid() : user,
                input switch { "zero" => 0, "too-much" => AdminActions.MaxAdjustment + 1, "below-zero" => -11, _ => 5 }, reason),
            "run-task" => await Actions.RunTaskNowAsync(admin, input == "unknown-task" ? "drop-everything" : MaintenanceTaskKeys.Retention, reason),
            "pause" => await Actions.SetPausedAsync(admin, input == "unknown-task" ? "drop-everything" : MaintenanceTaskKeys.Retention, true, reason),
            _ => throw new ArgumentException(action),
        };

        Assert.Equal(refusal, result.ErrorCode);
        Assert.Equal(refusal is null, result.Succeeded);
        if (refusal is not null)
        {
            Assert.Equal(before, await SnapshotAsync());
        }
        else
        {
            Assert.Equal(before.Actions + 1, (await SnapshotAsync()).Actions); // recorded, with its reason
        }
    }

    private sealed record Snapshot(string Jobs, int Balance, int Paused, int Actions, int Ledger);

    private async Task<Snapshot> SnapshotAsync() => new(
        string.Join(",", await h.QueryAsync<string>($"SELECT status FROM jobs ORDER BY id")),
        await h.BalanceAsync(user),
        await h.ScalarAsync<int>($"SELECT count(*)::int FROM maintenance_tasks WHERE paused"),
        await h.ScalarAsync<int>($"SELECT count(*)::int FROM admin_actions"),
        await h.ScalarAsync<int>($"SELECT count(*)::int FROM credit_ledger"));
}
