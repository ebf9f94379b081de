using JobHub.Core.Credits;
using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Accounts;

/// <summary>A person's own data (LGPD): the account, every job with its parameters and files' names, every ledger entry.</summary>
public sealed record AccountExport(DateTime ExportedAt, ExportedAccount Account, IReadOnlyList<ExportedJob> Jobs, IReadOnlyList<ExportedLedgerEntry> Ledger);

public sealed record ExportedAccount(Guid Id, string Email, DateTime CreatedAt, string Language, int CreditBalance);

public sealed record ExportedJob(
    Guid Id,
    string Tool,
    string Status,
    IReadOnlyDictionary<string, string> Parameters,
    int CreditCost,
    bool WaitedInQueue,
    DateTime CreatedAt,
    DateTime? QueuedAt,
    DateTime? StartedAt,
    DateTime? CompletedAt,
    string? ErrorCode,
    string? ErrorMessage,
    string? ProviderCode,
    string? ProviderMessage,
    IReadOnlyList<ExportedInput> Inputs,
    IReadOnlyList<ExportedOutput> Outputs,
    DateTime? FilesDeletedAt);

/// <summary>An input file as the person gave it: its name and shape, never its bytes.</summary>
public sealed record ExportedInput(string Key, string? OriginalName, string MimeType, long Bytes, int Width, int Height, double? DurationSeconds);

/// <summary>A result: its file name at RunningHub and whether JobHub kept a copy.</summary>
public sealed record ExportedOutput(string FileName, string? OutputType, bool CopyKept);

public sealed record ExportedLedgerEntry(long Id, DateTime CreatedAt, string Kind, int Amount, int BalanceAfter, Guid? JobId, string? Reason);

/// <summary>
/// Reads the person's data for the download: only rows whose owner is the one asking (the caller passes the signed-in
/// user, never an id from the request). A deleted account has nothing to export.
/// </summary>
public sealed class ExportAccountData(IDbContextFactory<JobHubDbContext> contexts, TimeProvider clock)
{
    public async Task<AccountExport?> HandleAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // One snapshot for the three reads, so the balance, the jobs and the ledger agree with each other.
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var account = await db.Users.AsNoTracking().Where(u => u.Id == userId && u.DeletedAt == null)
            .Select(u => new ExportedAccount(u.Id, u.Email ?? "", u.CreatedAt, u.Culture, u.CreditBalance))
            .SingleOrDefaultAsync(cancellationToken);
        if (account is null)
        {
            return null;
        }

        var jobs = await db.Set<Job>().AsNoTracking().Where(j => j.UserId == userId).OrderBy(j => j.CreatedAt).ThenBy(j => j.QueueSeq)
            .ToListAsync(cancellationToken);
        var ledger = await db.Set<CreditLedgerRow>().AsNoTracking().Where(l => l.UserId == userId).OrderBy(l => l.Id)
            .Select(l => new ExportedLedgerEntry(l.Id, l.CreatedAt, l.Kind, l.Amount, l.BalanceAfter, l.JobId, l.Reason))
            .ToListAsync(cancellationToken);
        return new AccountExport(clock.GetUtcNow().UtcDateTime, account, jobs.Select(Exported).ToList(), ledger);
    }

    private static ExportedJob Exported(Job job) => new(
        job.Id, job.ToolKey, job.Status, job.ParameterValues, job.CreditCost, job.WaitedInQueue, job.CreatedAt, job.QueuedAt, job.StartedAt,
        job.CompletedAt, job.ErrorCode, job.ErrorMessage, job.ProviderCode, job.ProviderMessage,
        job.InputFiles.Select(i => new ExportedInput(i.Key, i.OriginalName, i.MimeType, i.Bytes, i.Width, i.Height, i.DurationSeconds)).ToList(),
        job.OutputFiles.Select(o => new ExportedOutput(FileName(o.Url), o.OutputType, o.StoredName is not null && job.FilesDeletedAt is null)).ToList(),
        job.FilesDeletedAt);

    private static string FileName(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? Path.GetFileName(uri.AbsolutePath) : Path.GetFileName(url);
}
