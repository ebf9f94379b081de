using System.Security.Claims;
using Dapper;
using JobHub.Core.Accounts;
using JobHub.Core.Credits;
using JobHub.Core.Jobs;
using JobHub.Core.Maintenance;
using Npgsql;

namespace JobHub.Core.Admin;

public sealed record AdminResult(bool Succeeded, string? Error = null, object? Value = null)
{
    public static AdminResult Fail(string error) => new(false, error);
}

/// <summary>
/// Everything an admin can do, each checked for the admin role here (not only by the page that offers it),
/// each requiring a reason, and each recorded in <c>admin_actions</c> (who, when, what, why).
/// </summary>
public sealed class AdminActions(
    NpgsqlDataSource dataSource,
    ReconcileJob reconcileJob,
    CancelJob cancelJob,
    MaintenanceRunner maintenance,
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
            return AdminResult.Fail("No such job.");
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
            $"Cancelled by an administrator: {reason!.Trim()}", Email(admin)), cancellationToken);
        if (result.Outcome == TerminationOutcome.NotFound)
        {
            return AdminResult.Fail("No such job.");
        }

        await RecordAsync(admin, "cancel", jobId.ToString(), reason!, new { outcome = result.Outcome.ToString(), result.Refunded });
        return result.Outcome == TerminationOutcome.Changed ? new AdminResult(true, Value: result) : AdminResult.Fail($"The job is already {result.Job?.Status}.");
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
            return AdminResult.Fail($"The adjustment must be a non-zero whole number of at most {MaxAdjustment} credits.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM users WHERE id = @userId)", new { userId }, transaction))
        {
            return AdminResult.Fail("No such user.");
        }

        var balance = await CreditLedger.AddAsync(connection, transaction, userId, LedgerKinds.Adjustment, amount, reason!.Trim(), Email(admin),
            clock.GetUtcNow().UtcDateTime);
        if (balance is null)
        {
            return AdminResult.Fail("The balance cannot go below zero.");
        }

        await RecordAsync(connection, transaction, admin, "adjust-credits", userId.ToString(), reason, new { amount, balance });
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
            return AdminResult.Fail("No such maintenance task.");
        }

        var run = await maintenance.RunAsync(taskKey, MaintenanceTriggers.Manual, cancellationToken);
        await RecordAsync(admin, "run-task", taskKey, reason!, new { run!.Id, run.Outcome });
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
            return AdminResult.Fail("No such maintenance task.");
        }

        await maintenance.SetPausedAsync(taskKey, paused, Email(admin), cancellationToken);
        await RecordAsync(admin, paused ? "pause-task" : "resume-task", taskKey, reason!, null);
        return new AdminResult(true);
    }

    private static AdminResult? Check(ClaimsPrincipal admin, string? reason)
    {
        if (!admin.IsInRole(Roles.Admin) || AdminId(admin) is null)
        {
            throw new UnauthorizedAccessException("Only admins may do this.");
        }

        return string.IsNullOrWhiteSpace(reason) ? AdminResult.Fail("A reason is required.")
            : reason.Length > MaxReason ? AdminResult.Fail($"The reason is longer than {MaxReason} characters.")
            : null;
    }

    private static Guid? AdminId(ClaimsPrincipal admin) => Guid.TryParse(admin.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    private static string? Email(ClaimsPrincipal admin) => admin.FindFirstValue(ClaimTypes.Email) ?? admin.Identity?.Name;

    private async Task RecordAsync(ClaimsPrincipal admin, string action, string target, string reason, object? data)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await RecordAsync(connection, null, admin, action, target, reason, data);
    }

    private Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, ClaimsPrincipal admin, string action, string target,
        string reason, object? data) =>
        connection.ExecuteAsync("""
            INSERT INTO admin_actions (admin_id, at, action, target, reason, data) VALUES (@adminId, @at, @action, @target, @reason, @data::jsonb)
            """, new
        {
            adminId = AdminId(admin),
            at = clock.GetUtcNow().UtcDateTime,
            action,
            target,
            reason = reason.Trim(),
            data = data is null ? null : JobJson.Serialize(data),
        }, transaction);
}
