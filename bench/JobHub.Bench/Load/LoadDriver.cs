using Dapper;
using JobHub.Core.Accounts;
using JobHub.Core.Credits;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace JobHub.Bench.Load;

/// <summary>
/// Runs a <see cref="LoadPlan"/> against a running JobHub over HTTP: makes the users (in the database, with a real
/// password hash, so each signs in through the sign-in form), starts them over the ramp-up, and waits until each has
/// stopped submitting and seen its last job end.
/// </summary>
public static class LoadDriver
{
    public static async Task RunAsync(Uri baseAddress, NpgsqlDataSource db, LoadPlan plan, LoadReport report, CancellationToken cancellationToken = default)
    {
        var emails = await CreateUsersAsync(db, plan);
        var stopSubmittingAt = DateTime.UtcNow + plan.Duration;
        await Task.WhenAll(emails.Select((email, i) => Task.Run(() =>
            new LoadUser(baseAddress, email, plan, report, seed: 1000 + i).RunAsync(stopSubmittingAt, cancellationToken), cancellationToken)));
    }

    /// <summary>The plan's users, each with enough credits for every job it could make, ledgered as a grant.</summary>
    public static async Task<IReadOnlyList<string>> CreateUsersAsync(NpgsqlDataSource db, LoadPlan plan, string prefix = "load", int credits = 100_000)
    {
        var hash = new PasswordHasher<JobHubUser>().HashPassword(new JobHubUser(), plan.Password);
        var run = Guid.NewGuid().ToString("N")[..8];
        var emails = Enumerable.Range(0, plan.Users).Select(i => $"{prefix}-{run}-{i}@load.local").ToList();
        await using var connection = await db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = (await connection.QueryAsync<Guid>("""
            INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, password_hash, security_stamp, concurrency_stamp, culture)
            SELECT gen_random_uuid(), e, upper(e), e, upper(e), @hash, gen_random_uuid()::text, gen_random_uuid()::text, 'en'
            FROM unnest(@emails) e
            RETURNING id
            """, new { emails, hash }, transaction)).ToList();
        foreach (var id in ids)
        {
            await CreditLedger.AddAsync(connection, transaction, id, LedgerKinds.Grant, credits, "load test grant", null, DateTime.UtcNow);
        }

        await transaction.CommitAsync();
        return emails;
    }

    /// <summary>Waits until no job is queued, starting or running (the sweeps end what the faults left behind); false on timeout.</summary>
    public static async Task<bool> SettleAsync(NpgsqlDataSource db, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync();
                if (await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM jobs WHERE status IN ('queued', 'starting', 'running')") == 0)
                {
                    return true;
                }
            }
            catch (NpgsqlException)
            {
                // PostgreSQL restarting: ask again
            }

            await Task.Delay(500);
        }

        return false;
    }
}
