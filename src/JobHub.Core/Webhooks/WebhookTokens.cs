using System.Security.Cryptography;
using System.Text;
using JobHub.Core.Persistence;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Webhooks;

/// <summary>
/// The secret in each job's webhook URL: an HMAC-SHA256 of the job id with a server secret, checked in
/// constant time, with the server key <c>webhook_secret</c> (<see cref="ServerSecrets"/>).
/// </summary>
public sealed class WebhookTokens(ServerSecrets secrets, IOptions<JobHubOptions> options)
{
    private const string SettingKey = "webhook_secret";

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
        Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(jobId.ToString("N"))));

    private Task<byte[]> GetSecretAsync() => secrets.GetAsync(SettingKey, options.Value.WebhookSecret);
}
