using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using JobHub.Core.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace JobHub.Core.Accounts;

/// <param name="Password">The account's current password: the person confirms the deletion with it.</param>
public sealed record DeleteAccountRequest(Guid UserId, string Password);

public sealed record DeleteAccountResult(bool Succeeded, string? ErrorCode = null, Guid? CancelledJobId = null, int FilesDeleted = 0);

/// <summary>Why a deletion was refused; each has a message in the UI's resources (<c>DeleteAccount_&lt;code&gt;</c>).</summary>
public static class DeleteAccountErrors
{
    public const string NoSuchAccount = "NO_SUCH_ACCOUNT";
    public const string WrongPassword = "WRONG_PASSWORD";
}

/// <summary>
/// A person deletes their account (LGPD). The row is kept, anonymised and locked out, so the ledger and job history stay
/// whole for the operator's books; every session ends. Then the active job is cancelled and refunded, the person's files
/// are deleted and the text they typed into jobs is cleared.
/// </summary>
public sealed class DeleteAccount(
    IDbContextFactory<JobHubDbContext> contexts,
    CancelJob cancelJob,
    JobQueries queries,
    IFileStorage storage,
    GrantedAddresses addresses,
    TimeProvider clock,
    ILogger<DeleteAccount> logger)
{
    /// <summary>Identity's own hasher: a hash names its version and iteration count, so any hash Identity wrote verifies.</summary>
    private static readonly PasswordHasher<JobHubUser> Hasher = new();

    public const string CancelReason = "Cancelled because the account was deleted.";

    /// <summary>The address an account gets once deleted: unique, never deliverable, never one a person can sign up with.</summary>
    public static string Placeholder(Guid userId) => $"deleted-{userId:N}@invalid";

    public async Task<DeleteAccountResult> HandleAsync(DeleteAccountRequest request, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var userId = request.UserId;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId && u.DeletedAt == null, cancellationToken);
        if (user is null)
        {
            return new DeleteAccountResult(false, DeleteAccountErrors.NoSuchAccount);
        }

        if (user.PasswordHash is null || Hasher.VerifyHashedPassword(user, user.PasswordHash, request.Password ?? "") == PasswordVerificationResult.Failed)
        {
            return new DeleteAccountResult(false, DeleteAccountErrors.WrongPassword);
        }

        // Marked deleted first, before the active job is looked for: an admission locks this row and creates nothing for a
        // deleted account (SubmitJob.Admission), so once this commits no job can appear that the cancel below misses.
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // Raw SQL: the uploads' lock per user (UploadQuota), so no upload is recorded for the account beside its deletion.
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(26, hashtext({userId.ToString()}))", cancellationToken);
            await SignupGrant.RememberAsync(db, userId, await addresses.FingerprintAsync(user.Email ?? ""), now);
            var placeholder = Placeholder(userId);
            var marked = await db.Users.Where(u => u.Id == userId && u.DeletedAt == null).ExecuteUpdateAsync(set => set
                .SetProperty(u => u.DeletedAt, now)
                .SetProperty(u => u.Email, placeholder)
                .SetProperty(u => u.NormalizedEmail, placeholder.ToUpperInvariant())
                .SetProperty(u => u.UserName, placeholder)
                .SetProperty(u => u.NormalizedUserName, placeholder.ToUpperInvariant())
                .SetProperty(u => u.EmailConfirmed, false)
                .SetProperty(u => u.PasswordHash, (string?)null)
                .SetProperty(u => u.PhoneNumber, (string?)null)
                .SetProperty(u => u.TwoFactorEnabled, false)
                .SetProperty(u => u.SecurityStamp, Guid.NewGuid().ToString("N"))
                .SetProperty(u => u.ConcurrencyStamp, Guid.NewGuid().ToString())
                .SetProperty(u => u.LockoutEnabled, true)
                .SetProperty(u => u.LockoutEnd, DateTimeOffset.MaxValue), cancellationToken);
            if (marked == 0)
            {
                return new DeleteAccountResult(false, DeleteAccountErrors.NoSuchAccount); // deleted meanwhile, from another tab
            }

            await db.UserRoles.Where(r => r.UserId == userId).ExecuteDeleteAsync(cancellationToken);
            await db.UserClaims.Where(c => c.UserId == userId).ExecuteDeleteAsync(cancellationToken);
            await db.UserLogins.Where(l => l.UserId == userId).ExecuteDeleteAsync(cancellationToken);
            await db.UserTokens.Where(t => t.UserId == userId).ExecuteDeleteAsync(cancellationToken);
            await db.Set<UploadRecord>().Where(u => u.UserId == userId).ExecuteDeleteAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var (cancelled, files) = await FinishAsync(userId, cancellationToken);
        logger.LogInformation("Account {UserId} deleted: active job {JobId} cancelled, {Files} files deleted", userId, cancelled, files);
        return new DeleteAccountResult(true, CancelledJobId: cancelled, FilesDeleted: files);
    }

    /// <summary>
    /// What follows the mark, for an account already marked deleted: cancel its active job, delete its files, clear its
    /// texts. Idempotent, so the retention sweep runs it again for a deletion cut short by a crash.
    /// </summary>
    public async Task<(Guid? CancelledJobId, int FilesDeleted)> FinishAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId && u.DeletedAt != null, cancellationToken))
        {
            return (null, 0);
        }

        var cancelled = await CancelActiveAsync(userId, cancellationToken);
        var files = await ForgetJobsAsync(db, userId, clock.GetUtcNow().UtcDateTime, cancellationToken);
        return (cancelled, files);
    }

    /// <summary>Deleted accounts whose deletion did not finish: a job still active, or one whose files or texts remain.</summary>
    public async Task<IReadOnlyList<Guid>> UnfinishedAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Raw SQL: the comparison of a jsonb column with the empty object, which EF's LINQ cannot say.
        return await db.Database.SqlQuery<Guid>($$"""
            SELECT u.id AS "Value" FROM users u
            WHERE u.deleted_at IS NOT NULL AND EXISTS (
                SELECT 1 FROM jobs j WHERE j.user_id = u.id
                  AND (j.status IN ('queued', 'starting', 'running') OR j.files_deleted_at IS NULL OR j.parameters <> '{}'::jsonb))
            ORDER BY u.deleted_at LIMIT {{limit}}
            """).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// The active job, cancelled on the path a person's own cancel takes (refunded once; a task at RunningHub cancelled
    /// there too). Read again after each attempt: a job that ended meanwhile needs nothing, and none can start any more.
    /// </summary>
    private async Task<Guid?> CancelActiveAsync(Guid userId, CancellationToken cancellationToken)
    {
        Guid? cancelled = null;
        for (var attempt = 0; attempt < 10 && await queries.ActiveAsync(userId, cancellationToken) is { } active; attempt++)
        {
            var result = await cancelJob.HandleAsync(new CancelJobRequest(active.Id, userId, JobCause.User, JobErrorCodes.CancelledByUser, CancelReason),
                cancellationToken);
            if (result.Outcome == TerminationOutcome.Changed)
            {
                cancelled = active.Id;
            }
        }

        return cancelled;
    }

    /// <summary>
    /// Deletes every stored file of the person's jobs and clears what they typed or named: the parameters (prompts) and
    /// their files' original names. The rows stay (tool, states, times, credits, errors) for the books and the checker.
    /// </summary>
    private async Task<int> ForgetJobsAsync(JobHubDbContext db, Guid userId, DateTime now, CancellationToken cancellationToken)
    {
        var jobs = db.Set<Job>();
        // Marked before the rows are read: an output copy under way either stored its names first (and they are read
        // below) or is refused by the mark (CopyOutputs), so no copy outlives the deletion.
        await jobs.Where(j => j.UserId == userId).ExecuteUpdateAsync(set => set.SetProperty(j => j.FilesDeletedAt, j => j.FilesDeletedAt ?? now),
            cancellationToken);
        var files = 0;
        foreach (var job in await jobs.AsNoTracking().Where(j => j.UserId == userId).ToListAsync(cancellationToken))
        {
            foreach (var name in job.StoredFiles())
            {
                if (await storage.DeleteAsync(name, cancellationToken))
                {
                    files++;
                }
            }

            var inputs = JobJson.Serialize(job.InputFiles.Select(i => i with { OriginalName = null }).ToList());
            await jobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(set => set
                .SetProperty(j => j.Parameters, "{}")
                .SetProperty(j => j.Inputs, inputs), cancellationToken);
        }

        return files;
    }
}
