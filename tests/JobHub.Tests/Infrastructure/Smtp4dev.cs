using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// The suite's smtp4dev, started by <c>./jobhub test</c> (JOBHUB_TEST_SMTP_HOST, _PORT, JOBHUB_TEST_SMTP4DEV_URL): JobHub's
/// hosts send their mails to it, and the tests read them through its REST API (<c>/api/messages</c>).
/// </summary>
public static partial class Smtp4dev
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static string? Host => Environment.GetEnvironmentVariable("JOBHUB_TEST_SMTP_HOST");
    private static string? Port => Environment.GetEnvironmentVariable("JOBHUB_TEST_SMTP_PORT");
    private static string? ApiUrl => Environment.GetEnvironmentVariable("JOBHUB_TEST_SMTP4DEV_URL");

    /// <summary>JobHub's mail settings for the suite's smtp4dev; none when it is not running (mails then fail, as unconfigured).</summary>
    public static IReadOnlyDictionary<string, string?> MailSettings() =>
        string.IsNullOrEmpty(Host) || string.IsNullOrEmpty(Port)
            ? new Dictionary<string, string?>()
            : new Dictionary<string, string?> { ["JobHub:Mail:Host"] = Host, ["JobHub:Mail:Port"] = Port, ["JobHub:Mail:Security"] = "None" };

    private static Uri Api => string.IsNullOrEmpty(ApiUrl) || string.IsNullOrEmpty(Host)
        ? throw new InvalidOperationException(
            "The mail tests need the suite's smtp4dev: run them with ./jobhub test (it starts one and sets JOBHUB_TEST_SMTP_HOST, " +
            "JOBHUB_TEST_SMTP_PORT and JOBHUB_TEST_SMTP4DEV_URL).")
        : new Uri(ApiUrl.TrimEnd('/') + "/");

    public sealed record Summary(string Id, string[] To, string Subject, DateTime ReceivedDate);

    private sealed record Page(List<Summary> Results);

    public sealed record Mail(string Id, string Subject, string Text, string Html);

    /// <summary>The mails sent to <paramref name="to"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<Summary>> MessagesToAsync(string to)
    {
        var page = await Http.GetFromJsonAsync<Page>(new Uri(Api, "api/messages?pageSize=100000"));
        return page!.Results.Where(m => m.To.Any(t => string.Equals(t, to, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(m => m.ReceivedDate).ToList();
    }

    /// <summary>Waits (with a deadline) for the <paramref name="count"/>th mail to <paramref name="to"/> and reads it.</summary>
    public static async Task<Mail> WaitForMailAsync(string to, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var messages = await MessagesToAsync(to);
            if (messages.Count >= count)
            {
                var id = messages[count - 1].Id;
                return new Mail(id, messages[count - 1].Subject,
                    await Http.GetStringAsync(new Uri(Api, $"api/messages/{id}/plaintext")),
                    await Http.GetStringAsync(new Uri(Api, $"api/messages/{id}/html")));
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No mail number {count} to {to} reached smtp4dev ({Api}) in time; {messages.Count} did.");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>The first link in the text to this path of JobHub.</summary>
    public static string LinkTo(string text, string path) =>
        LinkPattern().Matches(text).Select(m => m.Value).FirstOrDefault(link => new Uri(link).AbsolutePath == path)
        ?? throw new InvalidOperationException($"No link to {path} in the mail.");

    [GeneratedRegex(@"https?://[^\s""<>]+")]
    private static partial Regex LinkPattern();
}
