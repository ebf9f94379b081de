using System.Net;
using JobHub.Core.Accounts;
using JobHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>One JobHub for the class (accounts do not disturb each other): a fresh database with the demo accounts.</summary>
public sealed class AccountHostFixture : IAsyncLifetime
{
    public LiveJobHub Hub { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Hub = await LiveJobHub.StartAsync(new Dictionary<string, string?>
        {
            ["JobHub:SeedDemoUsers"] = "true", ["JobHub:SignupCredits"] = "25", ["JobHub:SessionCheckInterval"] = "00:00:01",
        });

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}

/// <summary>Sign up, sign in, lockout, sign out, who may see what, and the language switch, in Chromium.</summary>
public sealed class AccountBrowserTests(AccountHostFixture fixture) : IClassFixture<AccountHostFixture>
{
    private LiveJobHub Hub => fixture.Hub;

    private string Url(string path) => new Uri(Hub.BaseAddress, path).ToString();

    private static string NewEmail() => $"{Guid.NewGuid():N}@example.test";

    private async Task<(IBrowserContext Context, IPage Page)> NewPageAsync(string? timeZone = null)
    {
        var context = await (await Browser.GetAsync()).NewContextAsync(new() { TimezoneId = timeZone });
        return (context, await context.NewPageAsync());
    }

    private async Task SignUpAsync(IPage page, string email, string password, string? confirm = null)
    {
        await page.GotoAsync(Url("account/register"));
        await page.EvalOnSelectorAsync("#email", "e => e.type = 'text'"); // past the browser's own check, to the server's
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.FillAsync("#confirm", confirm ?? password);
        await page.ClickAsync("#register-submit");
    }

    private Task SignUpAndSignInAsync(IPage page, string email, string password) => BrowserPages.SignUpAndSignInAsync(page, Hub.BaseAddress, email, password);

    /// <summary>Signs out once the page is live (a click while the circuit replaces the prerendered header can be lost).</summary>
    private static async Task SignOutAsync(IPage page)
    {
        await BrowserPages.WaitForCircuitAsync(page);
        await page.ClickAsync("#logout");
        await Assertions.Expect(page.Locator("#nav-login")).ToBeVisibleAsync(new() { Timeout = 15000 });
    }

    private async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync(Url("account/login"));
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#login-submit");
    }

    [Fact]
    public async Task SignUp_GivesNoCreditsUntilTheMailsLinkIsOpened_ThenTheGrantOnce_HoweverOftenItIsOpened()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        var email = NewEmail();

        await SignUpAndSignInAsync(page, email, "a-long-password-1");
        await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveTextAsync(email);
        await Assertions.Expect(page.Locator("#unconfirmed")).ToContainTextAsync("25");
        await Assertions.Expect(page.Locator("#balance")).ToContainTextAsync("0");
        var user = await Hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({email})");
        Assert.Equal(0, await Hub.BalanceAsync(user));
        Assert.Empty(await Hub.QueryAsync<string>($"SELECT kind FROM credit_ledger WHERE user_id = {user}"));
        Assert.Equal(["user"], await Hub.QueryAsync<string>($"SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = {user}"));
        Assert.Equal("pt-BR", await Hub.ScalarAsync<string>($"SELECT culture FROM users WHERE id = {user}"));

        var mail = await Smtp4dev.WaitForMailAsync(email);
        Assert.Equal("Confirme seu e-mail no JobHub", mail.Subject);
        var link = Smtp4dev.LinkTo(mail.Text, "/account/confirm");
        Assert.StartsWith(Hub.BaseAddress.ToString(), link); // built on JobHub:PublicBaseUrl
        Assert.Contains("Confirmar meu e-mail", mail.Html);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(link), mail.Html);

        await page.GotoAsync(link);
        await Assertions.Expect(page.Locator("#confirm-result")).ToHaveAttributeAsync("data-confirmed", "true");
        Assert.Equal(25, await Hub.BalanceAsync(user));
        await page.GotoAsync(link);
        await Assertions.Expect(page.Locator("#confirm-result")).ToHaveAttributeAsync("data-confirmed", "true");
        Assert.Equal(["grant"], await Hub.QueryAsync<string>($"SELECT kind FROM credit_ledger WHERE user_id = {user}"));
        Assert.Equal(25, await Hub.BalanceAsync(user));

        await page.GotoAsync(Hub.BaseAddress.ToString());
        await Assertions.Expect(page.Locator("#balance")).ToContainTextAsync("25");
        await Assertions.Expect(page.Locator("#unconfirmed")).ToHaveCountAsync(0);
    }

    [Theory]
    [InlineData("pt-BR")]
    [InlineData("en")]
    public async Task TheAccountPages_FitAPhone_InBothLanguages(string culture)
    {
        var context = await (await Browser.GetAsync()).NewContextAsync(new() { ViewportSize = new() { Width = 360, Height = 740 } });
        await using var _ = context;
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url($"account/culture?culture={culture}&returnUrl=%2F"));
        await SignUpAndSignInAsync(page, NewEmail(), "a-long-password-1");
        await Assertions.Expect(page.Locator("#unconfirmed")).ToBeVisibleAsync();
        foreach (var path in new[] { "", "account/confirm-email", "account/confirm?user=x&token=y", "account/forgot", "account/reset?user=x&token=y", "account/register" })
        {
            await page.GotoAsync(Url(path));
            Assert.Equal(culture, await page.Locator("html").GetAttributeAsync("lang"));
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"/{path} at 360 px is {overflow} px wider than the window");
        }
    }

    [Fact]
    public async Task SignUp_InEnglish_SendsTheMailInEnglish()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        var email = NewEmail();
        await page.GotoAsync(Url("account/culture?culture=en&returnUrl=%2F"));

        await SignUpAsync(page, email, "a-long-password-1");

        var mail = await Smtp4dev.WaitForMailAsync(email);
        Assert.Equal("Confirm your JobHub e-mail", mail.Subject);
        Assert.Contains("Confirm my e-mail", mail.Html);
        Assert.Equal("en", await Hub.ScalarAsync<string>($"SELECT culture FROM users WHERE normalized_email = upper({email})"));
    }

    [Fact]
    public async Task AnUnconfirmedAccount_CanAskForTheMailAgain_AFewTimes()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        var email = NewEmail();
        await SignUpAndSignInAsync(page, email, "a-long-password-1");
        await page.ClickAsync("#unconfirmed-link");
        await page.WaitForURLAsync(Url("account/confirm-email"));
        await Assertions.Expect(page.Locator("#confirm-state")).ToContainTextAsync(email);

        for (var i = 0; i < 3; i++)
        {
            await page.ClickAsync("#resend-submit");
            await Assertions.Expect(page.Locator("#resent")).ToBeVisibleAsync();
        }

        await page.ClickAsync("#resend-submit");
        await Assertions.Expect(page.Locator("#resend-error")).ToContainTextAsync("Muitas tentativas");
        var last = await Smtp4dev.WaitForMailAsync(email, count: 4);

        // Any of the mails' links confirms (each token is Identity's, valid for a day).
        await page.GotoAsync(Smtp4dev.LinkTo(last.Text, "/account/confirm"));
        await Assertions.Expect(page.Locator("#confirm-result")).ToHaveAttributeAsync("data-confirmed", "true");
        await page.GotoAsync(Url("account/confirm-email"));
        await Assertions.Expect(page.Locator("#confirm-state")).ToHaveAttributeAsync("data-confirmed", "true");
        Assert.Equal(4, (await Smtp4dev.MessagesToAsync(email)).Count);
    }

    [Fact]
    public async Task ForgotPassword_MailsALink_TheNewPasswordWorks_AndEveryOtherSessionEnds()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        var (otherContext, otherPage) = await NewPageAsync();
        await using var __ = otherContext;
        var email = NewEmail();
        await SignUpAndSignInAsync(page, email, "the-old-password-1");
        await SignOutAsync(page);
        await SignInAsync(otherPage, email, "the-old-password-1");
        await otherPage.WaitForURLAsync(Hub.BaseAddress.ToString());
        var cookie = (await otherContext.CookiesAsync()).Single(c => c.Name == "jobhub.auth");
        using var copy = new HttpClient { BaseAddress = Hub.BaseAddress };
        copy.DefaultRequestHeaders.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        Assert.Equal(HttpStatusCode.NoContent, (await copy.GetAsync("api/jobs/active")).StatusCode);

        await page.GotoAsync(Url("account/login"));
        await page.ClickAsync("#to-forgot");
        await page.FillAsync("#email", email);
        await page.ClickAsync("#forgot-submit");
        await Assertions.Expect(page.Locator("#forgot-sent")).ToBeVisibleAsync();
        var sentText = await page.Locator("#forgot-sent").TextContentAsync();
        var mail = await Smtp4dev.WaitForMailAsync(email, count: 2); // the confirmation, then the reset
        Assert.Equal("Redefinir sua senha do JobHub", mail.Subject);
        var link = Smtp4dev.LinkTo(mail.Text, "/account/reset");

        await page.GotoAsync(link);
        await Assertions.Expect(page.Locator("#password-rules li")).ToHaveCountAsync(3);
        await page.FillAsync("#password", "short1");
        await page.FillAsync("#confirm", "short1");
        await page.ClickAsync("#reset-submit");
        await Assertions.Expect(page.Locator("#reset-errors")).ToContainTextAsync("8"); // Identity's rules, in the page's language
        await page.FillAsync("#password", "the-new-password-2");
        await page.FillAsync("#confirm", "the-new-password-2");
        await page.ClickAsync("#reset-submit");
        await Assertions.Expect(page.Locator("#reset-done")).ToBeVisibleAsync();

        // The other session's cookie stops working within the check interval (1 s here).
        var deadline = DateTime.UtcNow.AddSeconds(15);
        HttpStatusCode status;
        while ((status = (await copy.GetAsync("api/jobs/active")).StatusCode) != HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        await SignInAsync(page, email, "the-old-password-1");
        await Assertions.Expect(page.Locator("#login-error")).ToBeVisibleAsync();
        await SignInAsync(page, email, "the-new-password-2");
        await page.WaitForURLAsync(Hub.BaseAddress.ToString());
        await SignOutAsync(page);

        // The link works once.
        await page.GotoAsync(link);
        await page.FillAsync("#password", "a-third-password-3");
        await page.FillAsync("#confirm", "a-third-password-3");
        await page.ClickAsync("#reset-submit");
        await Assertions.Expect(page.Locator("#reset-errors")).ToContainTextAsync("não vale mais");

        // An address with no account gets the same answer, and no mail.
        var nobody = NewEmail();
        await page.GotoAsync(Url("account/forgot"));
        await page.FillAsync("#email", nobody);
        await page.ClickAsync("#forgot-submit");
        await Assertions.Expect(page.Locator("#forgot-sent")).ToHaveTextAsync(sentText!);
        Assert.Empty(await Smtp4dev.MessagesToAsync(nobody));

        // No mail's text, link or token was logged.
        var token = new Uri(link).Query.Split("token=")[1];
        Assert.DoesNotContain(Hub.Host.Logs.Lines, line => line.Contains(token) || line.Contains("/account/reset?") || line.Contains("/account/confirm?")
            || line.Contains("Escolher uma nova senha"));
    }

    [Theory]
    [InlineData("not-an-email", "a-long-password-1", null)]
    [InlineData("EMAIL", "short1", null)]
    [InlineData("EMAIL", "a-long-password-1", "another-password-2")]
    public async Task SignUp_WithBadValues_ShowsWhy_AndCreatesNothing(string email, string password, string? confirm)
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        email = email == "EMAIL" ? NewEmail() : email;
        var before = await Hub.ScalarAsync<int>($"SELECT count(*)::int FROM users");

        await SignUpAsync(page, email, password, confirm);

        await Assertions.Expect(page.Locator("#register-errors")).ToBeVisibleAsync();
        Assert.Equal(before, await Hub.ScalarAsync<int>($"SELECT count(*)::int FROM users"));
        Assert.Equal(0, await page.Context.CookiesAsync().ContinueWith(t => t.Result.Count(c => c.Name == "jobhub.auth")));
    }

    [Fact]
    public async Task SignUp_Refused_ShowsEveryErrorAtOnce_AndGivesThePasswordFieldsBackEmpty()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;

        await SignUpAsync(page, "not-an-email", "short", "shorter");

        var errors = page.Locator("#register-errors li");
        await Assertions.Expect(errors).ToHaveTextAsync(
            ["Informe um e-mail válido.", "A senha precisa ter pelo menos 8 caracteres.", "A senha precisa ter pelo menos um número.", "As senhas não são iguais."]);
        Assert.Equal("not-an-email", await page.InputValueAsync("#email"));
        Assert.Equal("", await page.InputValueAsync("#password"));
        Assert.Equal("", await page.InputValueAsync("#confirm"));
        Assert.DoesNotContain("shorter", await page.ContentAsync());
    }

    [Fact]
    public async Task WrongPassword_IsRefused_AndFiveFailuresLockTheAccount_EvenForTheRightPassword()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        var email = NewEmail();
        await SignUpAsync(page, email, "the-right-password-1");
        await Assertions.Expect(page.Locator("#register-sent")).ToBeVisibleAsync();

        for (var i = 0; i < 5; i++)
        {
            await SignInAsync(page, email, "a-wrong-password");
            await Assertions.Expect(page.Locator("#login-error")).ToBeVisibleAsync();
        }

        await SignInAsync(page, email, "the-right-password-1");
        await Assertions.Expect(page.Locator("#login-error")).ToContainTextAsync("bloqueada");
        await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task SignOut_EndsTheSession_AndToolPagesAskForSignInAgain()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        await SignInAsync(page, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
        await page.WaitForURLAsync(Hub.BaseAddress.ToString());

        await SignOutAsync(page);
        await Assertions.Expect(page.Locator("#nav-login")).ToBeVisibleAsync();

        await page.GotoAsync(Url("tools/pose-changer"));
        Assert.StartsWith(Url("account/login"), page.Url);
        await page.FillAsync("#email", DemoAccounts.UserEmail);
        await page.FillAsync("#password", DemoAccounts.UserPassword);
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(Url("tools/pose-changer"));
    }

    [Fact]
    public async Task SignOut_EndsTheSessionOnTheServer_ACopiedCookieStopsWorking_AndOtherTabsAreSignedOut()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        await SignUpAndSignInAsync(page, NewEmail(), "a-good-password-1");
        var cookie = (await context.CookiesAsync()).Single(c => c.Name == "jobhub.auth");
        using var copy = new HttpClient { BaseAddress = Hub.BaseAddress };
        copy.DefaultRequestHeaders.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await copy.GetAsync("api/jobs/active")).StatusCode);
        var otherTab = await context.NewPageAsync();
        await otherTab.GotoAsync(Url("history"));
        await BrowserPages.WaitForCircuitAsync(otherTab);

        await SignOutAsync(page);

        // Within the check interval (1 s here, 1 min by default) the saved cookie is refused...
        var deadline = DateTime.UtcNow.AddSeconds(15);
        System.Net.HttpStatusCode status;
        while ((status = (await copy.GetAsync("api/jobs/active")).StatusCode) != System.Net.HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, status);
        // ...and the page still open in the other tab is sent to the sign-in page.
        await otherTab.WaitForURLAsync(url => url.Contains("/account/login"), new() { Timeout = 15000 });
    }

    [Fact]
    public async Task SignUp_ShowsThePasswordRulesUpFront_AndATakenEmail_AnswersAsANewOne_AndTellsItsOwnerByMail()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        await page.GotoAsync(Url("account/register"));
        await Assertions.Expect(page.Locator("#password-rules li")).ToHaveCountAsync(3); // length, a lowercase letter, a digit
        await Assertions.Expect(page.Locator("#password-rules")).ToContainTextAsync("8");
        var fresh = NewEmail();
        await SignUpAsync(page, fresh, "another-password-1");
        var answer = await page.Locator("#register-sent").InnerTextAsync();
        var users = await Hub.ScalarAsync<int>($"SELECT count(*)::int FROM users");
        var hash = await Hub.ScalarAsync<string>($"SELECT password_hash FROM users WHERE normalized_email = upper({fresh})");

        var taken = fresh.ToUpperInvariant();
        await SignUpAsync(page, taken, "yet-another-password-2");

        await Assertions.Expect(page.Locator("#register-sent")).ToHaveTextAsync(answer.Replace(fresh, taken));
        await Assertions.Expect(page.Locator("#register-errors")).ToHaveCountAsync(0);
        Assert.Equal(0, (await context.CookiesAsync()).Count(c => c.Name == "jobhub.auth"));
        await Smtp4dev.WaitForMailAsync(fresh, count: 2); // the confirmation, and the owner's notice
        var notice = (await Smtp4dev.MessagesToAsync(fresh)).Single(m => m.Subject == "Você já tem uma conta no JobHub");
        Assert.NotNull(notice);
        Assert.Equal(users, await Hub.ScalarAsync<int>($"SELECT count(*)::int FROM users"));
        Assert.Equal(hash, await Hub.ScalarAsync<string>($"SELECT password_hash FROM users WHERE normalized_email = upper({fresh})"));
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    public async Task SignIn_NeverRedirectsToAnotherSite(string returnUrl)
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        await page.GotoAsync(Url($"account/login?returnUrl={Uri.EscapeDataString(returnUrl)}"));
        await page.FillAsync("#email", DemoAccounts.UserEmail);
        await page.FillAsync("#password", DemoAccounts.UserPassword);
        await page.ClickAsync("#login-submit");

        await page.WaitForURLAsync(Hub.BaseAddress.ToString());
    }

    [Fact]
    public async Task Pages_SpeakPortugueseByDefault_AndEnglishAfterTheSwitch()
    {
        var (context, page) = await NewPageAsync();
        await using var _ = context;
        await SignInAsync(page, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
        await page.GotoAsync(Url("tools/image-upscaler"));
        await BrowserPages.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Upscaler Arcano");
        await Assertions.Expect(page.Locator("#run")).ToHaveTextAsync("Executar");
        Assert.Equal("pt-BR", await page.Locator("html").GetAttributeAsync("lang"));

        await page.ClickAsync("#lang-en");
        await page.WaitForURLAsync(Url("tools/image-upscaler"));
        await BrowserPages.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Arcane Upscaler");
        await Assertions.Expect(page.Locator("#run")).ToHaveTextAsync("Run");
        await Assertions.Expect(page.Locator("#nav-history")).ToHaveTextAsync("History");
        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));
    }

    [Fact]
    public async Task History_ShowsTheUsersJobsAndLedger_Only_InTheBrowsersTimeZone()
    {
        var (context, page) = await NewPageAsync("America/Sao_Paulo");
        await using var _ = context;
        var email = NewEmail();
        await SignUpAndSignInAsync(page, email, "a-long-password-1");
        await Hub.ConfirmEmailAsync(email);
        var user = await Hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({email})");
        var mine = await Hub.SubmitAsync(user);
        await Hub.SubmitAsync(await Hub.CreateUserAsync());

        await page.GotoAsync(Url("history"));
        await BrowserPages.WaitForCircuitAsync(page);

        await Assertions.Expect(page.Locator("#jobs tbody tr .job-link")).ToHaveCountAsync(1);
        Assert.Equal(mine.Id.ToString(), await page.Locator("#jobs tbody tr .job-link").GetAttributeAsync("data-job"));
        await Assertions.Expect(page.Locator("#ledger tbody tr")).ToHaveCountAsync(2); // grant and debit
        await Assertions.Expect(page.Locator("#history-pager")).ToContainTextAsync("1–1 de 1"); // MudBlazor's pager in Portuguese too

        // Times are in the person's zone (Brazil, UTC−3 all year), which the page names; UTC stays in the markup.
        await Assertions.Expect(page.Locator("#time-zone-note")).ToContainTextAsync("America/Sao_Paulo");
        var created = page.Locator("#jobs tbody tr td time").First;
        await Assertions.Expect(created).ToHaveAttributeAsync("data-zone", "America/Sao_Paulo");
        var utc = DateTime.Parse((await created.GetAttributeAsync("datetime"))!, null, System.Globalization.DateTimeStyles.RoundtripKind);
        Assert.Equal(utc.ToUniversalTime().AddHours(-3).ToString("g", System.Globalization.CultureInfo.GetCultureInfo("pt-BR")), await created.TextContentAsync());
    }

    [Fact]
    public async Task AnotherUsersJobFiles_AreNotFound_AndAnonymousRequestsMustSignIn()
    {
        var owner = await Hub.CreateUserAsync();
        var job = await Hub.SubmitAsync(owner);
        var (context, page) = await NewPageAsync();
        await using var _ = context;

        var anonymous = await page.APIRequest.GetAsync(Url($"files/jobs/{job.Id}/inputs/0"), new() { MaxRedirects = 0 });
        Assert.Equal((int)HttpStatusCode.Redirect, anonymous.Status);

        await SignInAsync(page, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
        await page.WaitForURLAsync(Hub.BaseAddress.ToString());
        foreach (var path in new[] { $"files/jobs/{job.Id}/inputs/0", $"files/jobs/{job.Id}/outputs/0", $"files/jobs/{Guid.NewGuid()}/inputs/0",
                     $"files/jobs/{job.Id}/secrets/0", $"files/jobs/{job.Id}/inputs/99" })
        {
            Assert.Equal(404, (await page.APIRequest.GetAsync(Url(path))).Status);
        }

        // An admin may see any job's files.
        await SignOutAsync(page);
        await SignInAsync(page, DemoAccounts.AdminEmail, DemoAccounts.AdminPassword);
        await page.WaitForURLAsync(Hub.BaseAddress.ToString());
        Assert.Equal(200, (await page.APIRequest.GetAsync(Url($"files/jobs/{job.Id}/inputs/0"))).Status);
    }

    [Fact]
    public async Task FormPostsWithoutTheAntiforgeryToken_AreRefused()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Hub.BaseAddress };
        var before = await Hub.ScalarAsync<int>($"SELECT count(*)::int FROM users");

        using var register = await http.PostAsync("account/register", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "register", ["Input.Email"] = NewEmail(), ["Input.Password"] = "a-long-password-1", ["Input.Confirm"] = "a-long-password-1",
        }));
        using var logout = await http.PostAsync("account/logout", new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.BadRequest, register.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, logout.StatusCode);
        Assert.Equal(before, await Hub.ScalarAsync<int>($"SELECT count(*)::int FROM users"));
    }

    [Fact]
    public async Task LanguageSwitch_RefusesUnknownLanguages()
    {
        using var http = new HttpClient { BaseAddress = Hub.BaseAddress };
        using var response = await http.GetAsync("account/culture?culture=xx&returnUrl=/");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
