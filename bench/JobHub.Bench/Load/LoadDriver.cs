using JobHub.Core.Accounts;
using JobHub.Core.Credits;
using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Bench.Load;

/// <summary>
/// Runs a <see cref="LoadPlan"/> against a running JobHub over HTTP: makes the users (in the database, with a real
/// password hash, so each signs in through the sign-in form), starts them over the ramp-up, and waits until each has
/// stopped submitting and seen its last job end.
/// </summary>
public static class LoadDriver
{
    /// <param name="baseAddresses">The JobHub instances: user i uses instance i mod their count.</param>
    public static async Task RunAsync(IReadOnlyList<Uri> baseAddresses, IDbContextFactory<JobHubDbContext> db, LoadPlan plan, LoadReport report,
        CancellationToken cancellationToken = default)
    {
        var emails = await CreateUsersAsync(db, plan);
        var stopSubmittingAt = DateTime.UtcNow + plan.Duration;
        await Task.WhenAll(emails.Select((email, i) => Task.Run(() =>
            new LoadUser(baseAddresses[i % baseAddresses.Count], email, plan, report, seed: 1000 + i).RunAsync(stopSubmittingAt, cancellationToken),
            cancellationToken)));
    }

    /// <summary>The plan's users, each with enough credits for every job it could make, ledgered as a grant.</summary>
    public static async Task<IReadOnlyList<string>> CreateUsersAsync(IDbContextFactory<JobHubDbContext> db, LoadPlan plan, string prefix = "load", int credits = 100_000)
    {
        var hash = new PasswordHasher<JobHubUser>().HashPassword(new JobHubUser(), plan.Password);
        var run = Guid.NewGuid().ToString("N")[..8];
        var emails = Enumerable.Range(0, plan.Users).Select(i => $"{prefix}-{run}-{i}@load.local").ToList();
        await using var context = await db.CreateDbContextAsync();
        await using var transaction = await context.Database.BeginTransactionAsync();
        // Raw SQL: hundreds of users in one statement.
        var ids = await context.Database.SqlQuery<Guid>($"""
            INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, password_hash, security_stamp, concurrency_stamp, culture)
            SELECT gen_random_uuid(), e, upper(e), e, upper(e), {hash}, gen_random_uuid()::text, gen_random_uuid()::text, 'en'
            FROM unnest({emails.ToArray()}) e
            RETURNING id
            """).ToListAsync();
        foreach (var id in ids)
        {
            await CreditLedger.AddAsync(context, id, LedgerKinds.Grant, credits, "load test grant", null, DateTime.UtcNow);
        }

        await transaction.CommitAsync();
        return emails;
    }

    /// <summary>Waits until no job is queued, starting or running (the sweeps end what the faults left behind); false on timeout.</summary>
    public static async Task<bool> SettleAsync(IDbContextFactory<JobHubDbContext> db, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var context = await db.CreateDbContextAsync();
                if (!await context.Set<Job>().AnyAsync(j => JobStatus.Active.Contains(j.Status)))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex.DatabaseError() is not null)
            {
                // PostgreSQL restarting: ask again
            }

            await Task.Delay(500);
        }

        return false;
    }

    /// <summary>
    /// Waits until every completed job's outputs are copied or the copy was given up (its attempts used up, the reason
    /// recorded); the completed jobs still without a copy after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> WaitForCopiesAsync(IDbContextFactory<JobHubDbContext> db, TimeSpan timeout, int maxAttempts = 8)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await using var context = await db.CreateDbContextAsync();
                var uncopied = await context.Set<Job>()
                    .Where(j => j.Status == JobStatus.Completed && j.OutputsCopiedAt == null && j.OutputCopyAttempts < maxAttempts)
                    .Select(j => j.Id).ToListAsync();
                if (uncopied.Count == 0 || DateTime.UtcNow > deadline)
                {
                    return uncopied;
                }
            }
            catch (Exception ex) when (ex.DatabaseError() is not null)
            {
                // PostgreSQL restarting: ask again
            }

            await Task.Delay(500);
        }
    }
}
