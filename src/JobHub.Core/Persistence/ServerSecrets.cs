using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Persistence;

/// <summary>
/// The server's keys (webhook tokens, the fingerprints of granted addresses): from configuration or, when none is set,
/// generated once and kept in <c>app_settings</c> so that every instance shares them. A key never changes once used.
/// </summary>
public sealed class ServerSecrets(IDbContextFactory<JobHubDbContext> contexts)
{
    private readonly ConcurrentDictionary<string, byte[]> known = new();

    public async Task<byte[]> GetAsync(string name, string? configured)
    {
        if (known.TryGetValue(name, out var key))
        {
            return key;
        }

        if (!string.IsNullOrWhiteSpace(configured))
        {
            return known[name] = System.Text.Encoding.UTF8.GetBytes(configured);
        }

        await using var context = await contexts.CreateDbContextAsync();
        var generated = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        // Raw SQL: the first instance's key must win when several start at once; ON CONFLICT decides that in one
        // statement, and the read after it (a statement of its own, so it sees the winner's committed row) returns it.
        await context.Database.ExecuteSqlAsync($"INSERT INTO app_settings (key, value) VALUES ({name}, {generated}) ON CONFLICT (key) DO NOTHING");
        var stored = await context.Set<AppSetting>().AsNoTracking().Where(s => s.Key == name).Select(s => s.Value).SingleAsync();
        return known[name] = System.Text.Encoding.UTF8.GetBytes(stored);
    }
}
