using System.Net;
using System.Text.Json;
using JobHub.Core.Accounts;
using JobHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>The account page in Chromium: change password, download my data, delete my account; and who may do what.</summary>
public sealed class AccountDataBrowserTests(AccountHostFixture fixture) : IClassFixture<AccountHostFixture>
{
    private const string Password = "a-good-password-1";

    private LiveJobHub Hub => fixture.Hub;

    private string Url(string path) => new Uri(Hub.BaseAddress, path).ToString();

    private static string NewEmail() => $"{Guid.NewGuid():N}@example.test";

    /// <summary>A new person, signed up and signed in, in a browser context of their own.</summary>
    private async Task<(IBrowserContext Context, IPage Page, string Email)> SignedUpAsync()
    {
        var context = await (await Browser.GetAsync()).NewContextAsync(new() { AcceptDownloads = true });
        var page = await context.NewPageAsync();
        var email = NewEmail();
        await BrowserPages.SignUpAndSignInAsync(page, Hub.BaseAddress, email, Password);
        return (context, page, email);
    }

    /// <summary>The session's cookie, copied into a client of its own: another device holding the same session.</summary>
    private async Task<HttpClient> CopyOfSessionAsync(IBrowserContext context)
    {
        var cookie = (await context.CookiesAsync()).Single(c => c.Name == "jobhub.auth");
        var copy = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Hub.BaseAddress };
        copy.DefaultRequestHeaders.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        return copy;
    }

    /// <summary>Waits, within the check interval (1 s here), for a copied session to be refused.</summary>
    private static async Task AssertRefusedSoonAsync(HttpClient session)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        HttpStatusCode status;
        while ((status = (await session.GetAsync("api/jobs/active")).StatusCode) != HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    private async Task<Guid> UserIdAsync(string email) => await Hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({email})");

    [Fact]
    public async Task ChangePassword_EndsEveryOtherSession_KeepsThisOne_AndOnlyTheNewPasswordSignsIn()
    {
        var (context, page, email) = await SignedUpAsync();
        await using var _ = context;
        using var otherDevice = await CopyOfSessionAsync(context);
        var otherBrowser = await (await Browser.GetAsync()).NewContextAsync();
        await using var __ = otherBrowser;
        var otherTab = await BrowserPages.SignedInAsync(otherBrowser, Hub.BaseAddress, email, Password);
        await otherTab.GotoAsync(Url("history"));
        await BrowserPages.WaitForCircuitAsync(otherTab);

        await page.GotoAsync(Url("account"));
        await BrowserPages.WaitForCircuitAsync(page);
        await page.ClickAsync("#change-password");
        await page.WaitForURLAsync(Url("account/password"));
        await page.FillAsync("#current", "not-the-password-1");
        await page.FillAsync("#password", "a-newer-password-2");
        await page.FillAsync("#confirm", "a-newer-password-2");
        await page.ClickAsync("#password-submit");
        await Assertions.Expect(page.Locator("#password-errors")).ToContainTextAsync("senha atual");

        await page.FillAsync("#current", Password);
        await page.FillAsync("#password", "a-newer-password-2");
        await page.FillAsync("#confirm", "a-newer-password-2");
        await page.ClickAsync("#password-submit");

        await page.WaitForURLAsync(Url("account?password=changed"));
        await Assertions.Expect(page.Locator("#password-changed")).ToBeVisibleAsync();
        await AssertRefusedSoonAsync(otherDevice);
        await otherTab.WaitForURLAsync(url => url.Contains("/account/login"), new() { Timeout = 15000 });
        // This session stays: after the interval the old sessions were refused in, its pages and the API still answer.
        await page.GotoAsync(Url("history"));
        Assert.Equal(Url("history"), page.Url);
        await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveTextAsync(email);
        using var self = await CopyOfSessionAsync(context);
        Assert.Equal(HttpStatusCode.NoContent, (await self.GetAsync("api/jobs/active")).StatusCode);

        var fresh = await (await Browser.GetAsync()).NewContextAsync();
        await using var ___ = fresh;
        var login = await fresh.NewPageAsync();
        await login.GotoAsync(Url("account/login"));
        await login.FillAsync("#email", email);
        await login.FillAsync("#password", Password);
        await login.ClickAsync("#login-submit");
        await Assertions.Expect(login.Locator("#login-error")).ToBeVisibleAsync();
        await login.FillAsync("#email", email);
        await login.FillAsync("#password", "a-newer-password-2");
        await login.ClickAsync("#login-submit");
        await login.WaitForURLAsync(Hub.BaseAddress.ToString());
    }

    [Fact]
    public async Task DownloadMyData_GivesThisPersonsAccountAndLedger_AsAJsonFile_AndNobodyElsesData()
    {
        var (context, page, email) = await SignedUpAsync();
        await using var _ = context;
        var (otherContext, _, otherEmail) = await SignedUpAsync();
        await using var __ = otherContext;
        var user = await UserIdAsync(email);

        await page.GotoAsync(Url("account"));
        await BrowserPages.WaitForCircuitAsync(page);
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-data"));

        Assert.EndsWith(".json", download.SuggestedFilename);
        var text = await File.ReadAllTextAsync((await download.PathAsync())!);
        using var json = JsonDocument.Parse(text);
        var account = json.RootElement.GetProperty("account");
        Assert.Equal(user, account.GetProperty("id").GetGuid());
        Assert.Equal(email, account.GetProperty("email").GetString());
        Assert.Equal(await Hub.BalanceAsync(user), account.GetProperty("creditBalance").GetInt32());
        var ledger = json.RootElement.GetProperty("ledger").EnumerateArray().ToList();
        Assert.Equal(await Hub.QueryAsync<long>($"SELECT id FROM credit_ledger WHERE user_id = {user} ORDER BY id"), ledger.Select(l => l.GetProperty("id").GetInt64()));
        Assert.Empty(json.RootElement.GetProperty("jobs").EnumerateArray());
        Assert.DoesNotContain(otherEmail, text);

        // Attacks: the address takes no one's id (a query naming another person changes nothing); anonymous gets 401.
        using var session = await CopyOfSessionAsync(context);
        var other = await UserIdAsync(otherEmail);
        var answer = await session.GetAsync($"account/data.json?userId={other}&id={other}");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.StartsWith("attachment", answer.Content.Headers.ContentDisposition?.ToString() ?? answer.Headers.GetValues("Content-Disposition").Single());
        var body = await answer.Content.ReadAsStringAsync();
        Assert.Contains(email, body);
        Assert.DoesNotContain(otherEmail, body);
        Assert.DoesNotContain(other.ToString(), body);
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Hub.BaseAddress };
        var refused = await anonymous.GetAsync("account/data.json");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.DoesNotContain("@", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task DeleteMyAccount_AsksForThePassword_ThenSignInWithTheOldEmailFails_AndAnOldCookieStopsWorking()
    {
        var (context, page, email) = await SignedUpAsync();
        await using var _ = context;
        var user = await UserIdAsync(email);
        using var oldCookie = await CopyOfSessionAsync(context);
        Assert.Equal(HttpStatusCode.NoContent, (await oldCookie.GetAsync("api/jobs/active")).StatusCode);

        await BrowserPages.WaitForCircuitAsync(page);
        await page.ClickAsync("#nav-account"); // the menu's link to the account page
        await page.WaitForURLAsync(Url("account"));
        await page.ClickAsync("#delete-account");
        await page.FillAsync("#delete-password", "not-my-password-1");
        await page.ClickAsync("#confirm-yes");
        await Assertions.Expect(page.Locator("#delete-error")).ToBeVisibleAsync();
        Assert.True(await Hub.ScalarAsync<bool>($"SELECT deleted_at IS NULL FROM users WHERE id = {user}"));

        await page.FillAsync("#delete-password", Password);
        await page.ClickAsync("#confirm-yes");

        await page.WaitForURLAsync(Url("account/login?deleted=1"));
        await Assertions.Expect(page.Locator("#account-deleted")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveCountAsync(0);
        Assert.Equal(DeleteAccount.Placeholder(user), await Hub.ScalarAsync<string>($"SELECT email FROM users WHERE id = {user}"));
        await AssertRefusedSoonAsync(oldCookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await oldCookie.GetAsync("account/data.json")).StatusCode);

        // The old e-mail and password: the same words as any failed sign-in, and no session.
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#login-submit");
        await Assertions.Expect(page.Locator("#login-error")).ToHaveTextAsync(
            "Não foi possível entrar. Confira o e-mail e a senha; depois de várias tentativas erradas, a conta fica bloqueada por alguns minutos.");
        await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveCountAsync(0);
    }
    [Fact]
    public async Task Admins_SeeADeletedAccountAsSuch_WithItsDate_AndAreOfferedNoCreditAdjustment()
    {
        var user = await Hub.CreateUserAsync(10);
        var hash = new Microsoft.AspNetCore.Identity.PasswordHasher<JobHubUser>().HashPassword(new JobHubUser(), Password);
        await Hub.Db.ExecuteAsync($"UPDATE users SET password_hash = {hash} WHERE id = {user}");
        var deletion = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<DeleteAccount>(Hub.Services);
        Assert.True((await deletion.HandleAsync(new DeleteAccountRequest(user, Password))).Succeeded);
        var context = await (await Browser.GetAsync()).NewContextAsync();
        await using var _ = context;
        var admin = await BrowserPages.SignedInAsync(context, Hub.BaseAddress, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);

        await admin.GotoAsync(Url($"admin/users?search=deleted-{user:N}"));
        await Assertions.Expect(admin.Locator($"#user-list tr:has([data-user='{user}']) [data-deleted]")).ToHaveTextAsync("excluída");
        await admin.GotoAsync(Url($"admin/users/{user}"));
        await Assertions.Expect(admin.Locator("#user-deleted")).ToContainTextAsync(DateTime.UtcNow.Year.ToString());
        await Assertions.Expect(admin.Locator("#adjust-form")).ToHaveCountAsync(0);
        await Assertions.Expect(admin.Locator("#user-ledger [data-kind='grant']")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task TheAccountPages_FitAPhone_InBothLanguages()
    {
        var context = await (await Browser.GetAsync()).NewContextAsync(new() { ViewportSize = new() { Width = 360, Height = 740 }, IsMobile = true });
        await using var _ = context;
        var page = await BrowserPages.SignedInAsync(context, Hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
        foreach (var (culture, title) in new[] { ("pt-BR", "Minha conta"), ("en", "My account") })
        {
            await page.GotoAsync(Url($"account/culture?culture={culture}&returnUrl=%2Faccount"));
            await BrowserPages.WaitForCircuitAsync(page);
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(title);
            await AssertFitsAsync(page, $"account-{culture}");
            await page.ClickAsync("#delete-account");
            await Assertions.Expect(page.Locator("#delete-password")).ToBeVisibleAsync();
            await AssertFitsAsync(page, $"account-delete-{culture}");
            await page.GotoAsync(Url("account/password"));
            await AssertFitsAsync(page, $"account-password-{culture}");
        }
    }

    private static async Task AssertFitsAsync(IPage page, string name)
    {
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, $"{name}-360.png") });
        Assert.True(overflow <= 0, $"{name} at 360 px is {overflow} px wider than the window");
    }
}
