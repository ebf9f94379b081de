using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.RunningHub;

/// <summary>
/// The configured RunningHub accounts (R11). With none configured, one account points at the RunningHub simulator
/// configured in <c>JobHub:RunningHub:Simulator</c>, so that a fresh run works without a key.
/// </summary>
public sealed class RunningHubAccounts
{
    public const string SimulatorKey = "simulator";

    private readonly Dictionary<string, RunningHubAccountOptions> accounts;

    public RunningHubAccounts(IOptions<RunningHubOptions> options, IOptions<JobHubOptions> jobHub)
    {
        var configured = options.Value.Accounts.Where(a => !string.IsNullOrWhiteSpace(a.ApiKey)).ToList();
        UsesSimulator = !options.Value.HasRealAccounts;
        if (UsesSimulator)
        {
            configured =
            [
                new RunningHubAccountOptions
                {
                    Key = SimulatorKey,
                    ApiKey = options.Value.Simulator.ApiKey,
                    BaseUrl = options.Value.Simulator.BaseUrl.TrimEnd('/'),
                    MaxConcurrent = Math.Max(1, jobHub.Value.MaxConcurrent),
                },
            ];
        }

        accounts = configured.ToDictionary(a => a.Key, StringComparer.Ordinal);
    }

    /// <summary>True when no key is configured and JobHub runs against its simulator.</summary>
    public bool UsesSimulator { get; }

    public IReadOnlyCollection<RunningHubAccountOptions> All => accounts.Values;

    public RunningHubAccount Get(string key) =>
        accounts.TryGetValue(key, out var account)
            ? new RunningHubAccount(account.Key, account.BaseUrl.TrimEnd('/'), account.ApiKey)
            : throw new InvalidOperationException($"RunningHub account '{key}' is not configured");

    /// <summary>Makes the accounts table match the configuration: configured accounts enabled with their limits, others disabled.</summary>
    public async Task SyncAsync(IDbContextFactory<JobHubDbContext> contexts, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var account in accounts.Values)
        {
            // Raw SQL: instances starting together each upsert; ON CONFLICT makes that one statement that cannot collide.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO runninghub_accounts (account_key, max_concurrent, enabled) VALUES ({account.Key}, {account.MaxConcurrent}, true)
                ON CONFLICT (account_key) DO UPDATE SET max_concurrent = EXCLUDED.max_concurrent, enabled = true
                """, cancellationToken);
        }

        var keys = accounts.Keys.ToArray();
        await db.Set<RunningHubAccountRow>().Where(a => !keys.Contains(a.AccountKey))
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.Enabled, false), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
