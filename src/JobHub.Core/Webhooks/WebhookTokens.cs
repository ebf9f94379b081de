using System.Security.Cryptography;
using System.Text;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Webhooks;

/// <summary>
/// The secret in each job's webhook URL: an HMAC-SHA256 of the job id with a server secret, checked in
/// constant time. The secret comes from configuration or, when none is set, is generated once and kept
/// in the database so that every instance shares it.
/// </summary>
public sealed class WebhookTokens(IDbContextFactory<JobHubDbContext> contexts, IOptions<JobHubOptions> options)
{
    private const string SettingKey = "webhook_secret";
    private byte[]? secret;

    public async Task<string> CreateTokenAsync(Guid jobId) => Token(await GetSecretAsync(), jobId);

    public async Task<string> CreateUrlAsync(Guid jobId) =>
        $"{options.Value.PublicBaseUrl.TrimEnd('/')}/api/webhooks/runninghub/{jobId}?token={await CreateTokenAsync(jobId)}";

    public async Task<bool> VerifyAsync(Guid jobId, string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 128)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Token(await GetSecretAsync(), jobId));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(token));
    }

    private static string Token(byte[] key, Guid jobId) =>
        Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(jobId.ToString("N"))));

    private async Task<byte[]> GetSecretAsync()
    {
        if (secret is not null)
        {
            return secret;
        }

        if (!string.IsNullOrWhiteSpace(options.Value.WebhookSecret))
        {
            return secret = Encoding.UTF8.GetBytes(options.Value.WebhookSecret);
        }

        await using var context = await contexts.CreateDbContextAsync();
        var generated = Base64Url(RandomNumberGenerator.GetBytes(32));
        // Raw SQL: the first instance's secret must win when several start at once; ON CONFLICT decides that in one
        // statement, and the read after it (a statement of its own, so it sees the winner's committed row) returns it.
        await context.Database.ExecuteSqlAsync($"INSERT INTO app_settings (key, value) VALUES ({SettingKey}, {generated}) ON CONFLICT (key) DO NOTHING");
        var stored = await context.Set<AppSetting>().AsNoTracking().Where(s => s.Key == SettingKey).Select(s => s.Value).SingleAsync();
        return secret = Encoding.UTF8.GetBytes(stored);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
