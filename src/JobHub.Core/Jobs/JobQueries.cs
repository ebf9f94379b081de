using Dapper;
using Npgsql;

namespace JobHub.Core.Jobs;

public sealed record LedgerEntry(long Id, Guid? JobId, string Kind, int Amount, int BalanceAfter, string? Reason, DateTime CreatedAt);

public sealed record JobPage(IReadOnlyList<Job> Jobs, int Total);

/// <summary>What the pages read about a user's jobs and credits. Every read is scoped to its owner: another user's job is simply not found.</summary>
public sealed class JobQueries(NpgsqlDataSource dataSource)
{
    public async Task<Job?> GetAsync(Guid jobId, Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Job>(new CommandDefinition(
            "SELECT * FROM jobs WHERE id = @jobId AND user_id = @ownerId", new { jobId, ownerId }, cancellationToken: cancellationToken));
    }

    /// <summary>Any user's job: for admins only (the caller checks the role).</summary>
    public async Task<Job?> GetAnyAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Job>(new CommandDefinition(
            "SELECT * FROM jobs WHERE id = @jobId", new { jobId }, cancellationToken: cancellationToken));
    }

    /// <summary>The user's active job (R4: at most one), whatever tool it is for.</summary>
    public async Task<Job?> ActiveAsync(Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Job>(new CommandDefinition(
            "SELECT * FROM jobs WHERE user_id = @ownerId AND status IN ('queued', 'starting', 'running')", new { ownerId },
            cancellationToken: cancellationToken));
    }

    public async Task<JobPage> HistoryAsync(Guid ownerId, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, 100);
        page = Math.Max(page, 0);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var jobs = (await connection.QueryAsync<Job>(new CommandDefinition("""
            SELECT * FROM jobs WHERE user_id = @ownerId ORDER BY created_at DESC, id DESC LIMIT @pageSize OFFSET @offset
            """, new { ownerId, pageSize, offset = page * pageSize }, cancellationToken: cancellationToken))).ToList();
        var total = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*)::int FROM jobs WHERE user_id = @ownerId", new { ownerId }, cancellationToken: cancellationToken));
        return new JobPage(jobs, total);
    }

    public async Task<IReadOnlyList<LedgerEntry>> LedgerAsync(Guid ownerId, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<LedgerEntry>(new CommandDefinition("""
            SELECT id, job_id, kind, amount, balance_after, reason, created_at FROM credit_ledger WHERE user_id = @ownerId ORDER BY id DESC LIMIT @limit
            """, new { ownerId, limit = Math.Clamp(limit, 1, 1000) }, cancellationToken: cancellationToken))).ToList();
    }

    public async Task<int> BalanceAsync(Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT credit_balance FROM users WHERE id = @ownerId", new { ownerId }, cancellationToken: cancellationToken));
    }
}
