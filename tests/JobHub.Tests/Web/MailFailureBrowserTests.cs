using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>A mail that cannot be sent (no SMTP server answers) is shown to the person, who can try again.</summary>
public sealed class MailFailureBrowserTests : IAsyncLifetime
{
    private LiveJobHub hub = null!;

    public async Task InitializeAsync() => hub = await LiveJobHub.StartAsync(new Dictionary<string, string?>
    {
        // A loopback port nothing listens on: every send fails at once.
        ["JobHub:Mail:Host"] = "127.0.0.1", ["JobHub:Mail:Port"] = KestrelJobHub.FreePort().ToString(), ["JobHub:Mail:Security"] = "None",
    });

    public async Task DisposeAsync() => await hub.DisposeAsync();

    [Fact]
    public async Task AFailedConfirmationMail_IsShown_AndCanBeAskedAgain()
    {
        var context = await (await Browser.GetAsync()).NewContextAsync();
        await using var _ = context;
        var page = await context.NewPageAsync();
        var email = $"{Guid.NewGuid():N}@example.test";
        await BrowserPages.SignUpAndSignInAsync(page, hub.BaseAddress, email, "a-long-password-1");

        Assert.True(await hub.WaitUntilAsync(async () =>
            await hub.ScalarAsync<bool>($"SELECT mail_failed_at IS NOT NULL FROM users WHERE normalized_email = upper({email})"), TimeSpan.FromSeconds(20)));
        // Hangfire tries again later (back-off), with the account's id and the mail's kind as its only arguments.
        var monitoring = hub.Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi();
        Assert.True(await hub.WaitUntilAsync(() => Task.FromResult(monitoring.ScheduledJobs(0, 100)
            .Any(j => j.Value.Job.Type == typeof(JobHub.Core.Accounts.SendAccountMail)
                && j.Value.Job.Args.Count == 3 && j.Value.Job.Args[1] is JobHub.Core.Accounts.AccountMailKind.Confirmation)), TimeSpan.FromSeconds(20)));
        await page.GotoAsync(new Uri(hub.BaseAddress, "account/confirm-email").ToString());
        await Assertions.Expect(page.Locator("#mail-failed")).ToContainTextAsync("Não conseguimos enviar o e-mail");

        await page.ClickAsync("#resend-submit");
        await Assertions.Expect(page.Locator("#resent")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#mail-failed")).ToHaveCountAsync(0);
        Assert.DoesNotContain(hub.Host.Logs.Lines, line => line.Contains("token=") || line.Contains("Confirmar meu e-mail"));
        Assert.Contains(hub.Host.Logs.Lines, line => line.Contains("could not be sent"));
    }
}
