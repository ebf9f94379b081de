using System.Security.Claims;
using JobHub.Core.Accounts;
using JobHub.Core.Credits;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Maintenance;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Admin;

/// <summary>
/// An action's outcome. A refusal is a code (one of <see cref="AdminErrors"/>) with the values its message needs;
/// the page words it in the person's language.
/// </summary>
public sealed record AdminResult(bool Succeeded, string? ErrorCode = null, object? Value = null)
{
    public IReadOnlyList<object> ErrorArguments { get; init; } = [];

    public static AdminResult Fail(string code, params object[] arguments) => new(false, code) { ErrorArguments = arguments };
}

/// <summary>Why an admin action was refused; each has a message in the UI's resources (<c>AdminError_&lt;code&gt;</c>).</summary>
public static class AdminErrors
{
    public const string ReasonRequired = "REASON_REQUIRED";
    public const string ReasonTooLong = "REASON_TOO_LONG";
    public const string NoSuchJob = "NO_SUCH_JOB";
    public const string NoSuchUser = "NO_SUCH_USER";
    public const string NoSuchTask = "NO_SUCH_TASK";
    public const string JobAlreadyEnded = "JOB_ALREADY_ENDED";
    public const string AmountInvalid = "AMOUNT_INVALID";
    public const string BalanceBelowZero = "BALANCE_BELOW_ZERO";
    public const string AmountNotANumber = "AMOUNT_NOT_A_NUMBER";
    public const string AccountDeleted = "ACCOUNT_DELETED";

    public static readonly IReadOnlyList<string> All =
        [ReasonRequired, ReasonTooLong, NoSuchJob, NoSuchUser, NoSuchTask, JobAlreadyEnded, AmountInvalid, BalanceBelowZero, AmountNotANumber, AccountDeleted];
}

/// <summary>
/// Everything an admin can do, each checked for the admin role here (not only by the page that offers it),
/// each requiring a reason, and each recorded in <c>admin_actions</c> (who, when, what, why).
/// </summary>
public sealed class AdminActions(
    IDbContextFactory<JobHubDbContext> contexts,
    ReconcileJob reconcileJob,
    CancelJob cancelJob,
    MaintenanceRunner maintenance,
    MaintenanceSchedule schedule,
    TimeProvider clock)
{
    public const int MaxReason = 500;
    public const int MaxAdjustment = 100_000;

    public async Task<AdminResult> ReconcileAsync(ClaimsPrincipal admin, Guid jobId, string? reason, CancellationToken cancellationToken = default)
    {
        if (Check(admin, reason) is { } refused)
        {
            return refused;
        }

        var result = await reconcileJob.HandleAsync(jobId, JobCause.Admin, actor: Email(admin), cancellationToken: cancellationToken);
        if (result.Outcome == ReconcileOutcome.NotFound)
        {
            return AdminResult.Fail(AdminErrors.NoSuchJob);
        }

        await RecordAsync(admin, "reconcile", jobId.ToString(), reason!, new { outcome = result.Outcome.ToString(), status = result.Job?.Status });
        return new AdminResult(true, Value: result);
    }

    public async Task<AdminResult> CancelAsync(ClaimsPrincipal admin, Guid jobId, string? reason, CancellationToken cancellationToken = default)
    {
        if (Check(admin, reason) is { } refused)
        {
            return refused;
        }

        var result = await cancelJob.HandleAsync(new CancelJobRequest(jobId, null, JobCause.Admin, JobErrorCodes.CancelledByAdmin,
            JobEventMessages.Format(JobEventMessages.CancelledByAdmin, reason!.Trim()), Email(admin)), cancellationToken);
        if (result.Outcome == TerminationOutcome.NotFound)
        {
            return AdminResult.Fail(AdminErrors.NoSuchJob);
        }

        if (result.Outcome != TerminationOutcome.Changed)
        {
            return AdminResult.Fail(AdminErrors.JobAlreadyEnded, result.Status ?? ""); // refused: nothing done, nothing recorded
        }

        await RecordAsync(admin, "cancel", jobId.ToString(), reason!, new { outcome = result.Outcome.ToString(), result.Refunded });
        return new AdminResult(true, Value: result);
    }

    /// <summary>
    /// Reads an adjustment as the admin typed it: a whole number, optionally signed. Text that is not one is
    /// refused with its own message, and a whole number beyond the limit (however long) is refused as out of
    /// range, so what is applied is always exactly what was typed.
    /// </summary>
    public static AdminResult ParseAmount(string? text)
    {
        var value = text?.Trim() ?? "";
        if (!System.Text.RegularExpressions.Regex.IsMatch(value, @"^[+-]?[0-9]+$"))
        {
            return AdminResult.Fail(AdminErrors.AmountNotANumber, value);
        }

        return int.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var amount)
               && amount != 0 && Math.Abs(amount) <= MaxAdjustment
            ? new AdminResult(true, Value: amount)
            : AdminResult.Fail(AdminErrors.AmountInvalid, MaxAdjustment);
    }

    /// <summary>Adds or removes credits with a ledgered adjustment; a balance never goes below zero.</summary>
    public async Task<AdminResult> AdjustCreditsAsync(ClaimsPrincipal admin, Guid userId, int amount, string? reason, CancellationToken cancellationToken = default)
    {
        if (Check(admin, reason) is { } refused)
        {
            return refused;
        }

        if (amount == 0 || Math.Abs(amount) > MaxAdjustment)
        {
            return AdminResult.Fail(AdminErrors.AmountInvalid, MaxAdjustment);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Raw SQL: the row locked (EF has no row lock) so that a deletion cannot land between this check and the credit.
        var found = await db.Database.SqlQuery<DateTime?>($"SELECT deleted_at FROM users WHERE id = {userId} FOR UPDATE")
            .ToListAsync(cancellationToken);
        if (found.Count == 0)
        {
            return AdminResult.Fail(AdminErrors.NoSuchUser);
        }

        // A deleted account's balance stays what its ledger says; nobody can use credits given to it.
        if (found[0] is not null)
        {
            return AdminResult.Fail(AdminErrors.AccountDeleted);
        }

        var balance = await CreditLedger.AddAsync(db, userId, LedgerKinds.Adjustment, amount, reason!.Trim(), Email(admin),
            clock.GetUtcNow().UtcDateTime);
        if (balance is null)
        {
            return AdminResult.Fail(AdminErrors.BalanceBelowZero);
        }

        await RecordAsync(db, admin, "adjust-credits", userId.ToString(), reason, new { amount, balance });
        await transaction.CommitAsync(cancellationToken);
        return new AdminResult(true, Value: balance);
    }

    public async Task<AdminResult> RunTaskNowAsync(ClaimsPrincipal admin, string taskKey, string? reason, CancellationToken cancellationToken = default)
    {
        if (Check(admin, reason) is { } refused)
        {
            return refused;
        }

        if (!maintenance.IsKnown(taskKey))
        {
            return AdminResult.Fail(AdminErrors.NoSuchTask);
        }

        var run = await maintenance.RunNowAsync(taskKey, cancellationToken: cancellationToken);
        await RecordAsync(admin, "run-task", taskKey, reason!, new { run.Id, run.Outcome });
        return new AdminResult(true, Value: run);
    }

    public async Task<AdminResult> SetPausedAsync(ClaimsPrincipal admin, string taskKey, bool paused, string? reason, CancellationToken cancellationToken = default)
    {
        if (Check(admin, reason) is { } refused)
        {
            return refused;
        }

        if (!maintenance.IsKnown(taskKey))
        {
            return AdminResult.Fail(AdminErrors.NoSuchTask);
        }

        await schedule.SetPausedAsync(taskKey, paused, Email(admin), cancellationToken);
        await RecordAsync(admin, paused ? "pause-task" : "resume-task", taskKey, reason!, null);
        return new AdminResult(true);
    }

    private static AdminResult? Check(ClaimsPrincipal admin, string? reason)
    {
        if (!admin.IsInRole(Roles.Admin) || AdminId(admin) is null)
        {
            throw new UnauthorizedAccessException("Only admins may do this.");
        }

        return string.IsNullOrWhiteSpace(reason) ? AdminResult.Fail(AdminErrors.ReasonRequired)
            : reason.Length > MaxReason ? AdminResult.Fail(AdminErrors.ReasonTooLong, MaxReason)
            : null;
    }

    private static Guid? AdminId(ClaimsPrincipal admin) => Guid.TryParse(admin.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    private static string? Email(ClaimsPrincipal admin) => admin.FindFirstValue(ClaimTypes.Email) ?? admin.Identity?.Name;

    private async Task RecordAsync(ClaimsPrincipal admin, string action, string target, string reason, object? data)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await RecordAsync(db, admin, action, target, reason, data);
    }

    /// <summary>Records the action in the context's transaction, if it has one.</summary>
    private async Task RecordAsync(JobHubDbContext db, ClaimsPrincipal admin, string action, string target, string reason, object? data)
    {
        db.Add(new AdminActionEntry
        {
            AdminId = AdminId(admin),
            At = clock.GetUtcNow().UtcDateTime,
            Action = action,
            Target = target,
            Reason = reason.Trim(),
            Data = data is null ? null : JobJson.Serialize(data),
        });
        await db.SaveChangesAsync();
    }
}
