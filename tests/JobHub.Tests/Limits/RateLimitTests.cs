using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using JobHub.Bench.Load;
using JobHub.Core.Jobs;
using JobHub.Core.Limits;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using JobHub.Web.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Limits;

/// <summary>
/// Each rate limit, attacked: a burst over the limit from one client is answered 429 with <c>Retry-After</c> (the pages say
/// so in their language) and changes nothing: no user created, no job, no credit moved, no file stored.
/// </summary>
public sealed partial class RateLimitTests
{
    private static readonly string Password = new LoadPlan().Password;

    private static Dictionary<string, string?> Limit(string rule, int permits, string window = "00:10:00") => new()
    {
        [$"JobHub:RateLimits:{rule}:PermitLimit"] = permits.ToString(),
        [$"JobHub:RateLimits:{rule}:Window"] = window,
    };

    private static HttpClient Client(LiveJobHub hub, CookieContainer? cookies = null) => ApiSession.Create(hub.BaseAddress, cookies ?? new CookieContainer());

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, string path, string handler, Dictionary<string, string> fields)
    {
        using var form = await http.GetAsync(path);
        var token = AntiforgeryField().Match(await form.Content.ReadAsStringAsync());
        Assert.True(token.Success, "the page has no form");
        fields["_handler"] = handler;
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        return await http.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    private static Task<HttpResponseMessage> SignInAsync(HttpClient http, string email, string password) =>
        PostFormAsync(http, "account/login", "login", new() { ["Input.Email"] = email, ["Input.Password"] = password });

    private static Task<HttpResponseMessage> SignUpAsync(HttpClient http, string email) =>
        PostFormAsync(http, "account/register", "register", new() { ["Input.Email"] = email, ["Input.Password"] = Password, ["Input.Confirm"] = Password });

    private static async Task<string> PageErrorAsync(HttpResponseMessage response, string id) =>
        WebUtility.HtmlDecode(Regex.Match(await response.Content.ReadAsStringAsync(), $"id=\"{id}\"[^>]*>(.*?)</(div|ul)>", RegexOptions.Singleline) is { Success: true } m
            ? Regex.Replace(m.Groups[1].Value, "<[^>]+>", "").Trim()
            : "");

    private static void AssertRefused(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "no Retry-After in seconds");
    }

    private static async Task<(HttpClient Http, Guid UserId)> SignedInAsync(LiveJobHub hub, int credits = 100)
    {
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "limits" + Guid.NewGuid().ToString("N")[..6], credits))[0];
        var cookies = new CookieContainer();
        var http = Client(hub, cookies);
        Assert.True(await ApiSession.SignInAsync(http, cookies, email, Password));
        return (http, await hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({email})"));
    }

    [Fact]
    public void AnIPv6Client_CountsByIts64_AMappedAddressAsItsIPv4_AndAChosenValueByAFixedSizeHash()
    {
        static string Of(string address) => RateLimitKey.Address("SignIn", IPAddress.Parse(address)).Partition;

        Assert.Equal(Of("2001:db8:1:2::5"), Of("2001:db8:1:2:ffff:ffff:ffff:1"));
        Assert.NotEqual(Of("2001:db8:1:2::5"), Of("2001:db8:1:3::5"));
        Assert.Equal(Of("198.51.100.7"), Of("::ffff:198.51.100.7"));
        Assert.NotEqual(Of("198.51.100.7"), Of("198.51.100.8"));
        var huge = RateLimitKey.Hashed("SignInPerAccount", new string('a', 4_000_000));
        Assert.Equal(64, huge.Partition.Length);
        Assert.NotEqual(huge, RateLimitKey.Hashed("SignInPerAccount", new string('a', 3_999_999)));
    }

    [Fact]
    public async Task SignIn_AcrossManyAccountsFromOneAddress_IsRefusedOverTheLimit_EvenWithTheRightPassword()
    {
        await using var hub = await LiveJobHub.StartAsync(Limit("SignIn", 3));
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "spray", 10))[0];
        using var http = Client(hub);

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await SignInAsync(http, $"nobody{i}@example.com", "a-guess-1234");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        using var refused = await SignInAsync(http, email, Password);
        AssertRefused(refused);
        Assert.Contains("Aguarde", await PageErrorAsync(refused, "login-error"));
        Assert.DoesNotContain(refused.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith("jobhub.auth=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DataExport_AndPasswordsTriedWhileSignedIn_AreRefusedOverTheirLimits_PerUser()
    {
        var settings = Limit("DataExport", 2);
        foreach (var (key, value) in Limit("AccountPassword", 2))
        {
            settings[key] = value;
        }

        await using var hub = await LiveJobHub.StartAsync(settings);
        var (http, user) = await SignedInAsync(hub);
        var (other, _) = await SignedInAsync(hub);

        for (var i = 0; i < 2; i++)
        {
            using var export = await http.GetAsync("account/data.json");
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        }

        AssertRefused(await http.GetAsync("account/data.json"));
        using var othersExport = await other.GetAsync("account/data.json"); // another person is not held up
        Assert.Equal(HttpStatusCode.OK, othersExport.StatusCode);

        Task<HttpResponseMessage> ChangeAsync(string current) => PostFormAsync(http, "account/password", "change-password",
            new() { ["Input.Current"] = current, ["Input.Password"] = "a-newer-password-2", ["Input.Confirm"] = "a-newer-password-2" });
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await ChangeAsync("a-guess-1234");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.NotEmpty(await PageErrorAsync(wrong, "password-errors"));
        }

        using var refused = await ChangeAsync(Password);
        AssertRefused(refused);
        var email = await hub.ScalarAsync<string>($"SELECT email FROM users WHERE id = {user}");
        var cookies = new CookieContainer();
        Assert.True(await ApiSession.SignInAsync(Client(hub, cookies), cookies, email, Password)); // the password did not change
    }

    [Fact]
    public async Task SignIn_ToOneAccount_IsRefusedOverItsFailures_WhichASuccessForgets()
    {
        await using var hub = await LiveJobHub.StartAsync(Limit("SignInPerAccount", 2));
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "target", 10))[0];
        using var http = Client(hub);
        Task<HttpResponseMessage> TryAsync(string password) => SignInAsync(Client(hub), email, password);

        for (var i = 0; i < 4; i++)
        {
            using var right = await TryAsync(Password); // successes, on several devices: never held up
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        }

        using (var wrong = await TryAsync("a-guess-1234"))
        {
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        using (var right = await TryAsync(Password)) // forgets the failure before it
        {
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        }

        for (var i = 0; i < 2; i++)
        {
            using var wrong = await SignInAsync(http, email.ToUpperInvariant(), "a-guess-1234");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        AssertRefused(await TryAsync(Password));
        using var other = await SignInAsync(Client(hub), $"x{email}", "a-guess-1234"); // another account is not held up
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task SignIn_GuessesInParallel_ToOneAccount_PassTheCountNoFurtherThanItsLimit()
    {
        await using var hub = await LiveJobHub.StartAsync(Limit("SignInPerAccount", 2));
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "burst", 10))[0];
        using var start = new Barrier(8);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            using var http = Client(hub);
            using var form = await http.GetAsync("account/login"); // each its own anti-forgery token, then all at once
            start.SignalAndWait();
            using var response = await SignInAsync(http, email, "a-guess-1234");
            return response.StatusCode;
        })));

        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(6, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.InRange(await hub.ScalarAsync<int>($"SELECT access_failed_count FROM users WHERE normalized_email = upper({email})"), 1, 2); // Identity may lose one of two at once
    }

    [Fact]
    public async Task PasswordReset_ForOneInbox_IsRefusedOverItsLimit_FromAnyClient_WhateverTheAlias()
    {
        await using var hub = await LiveJobHub.StartAsync(Limit("PasswordResetPerAddress", 2));
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "inbox", 10))[0];
        var (name, domain) = (email[..email.IndexOf('@')], email[email.IndexOf('@')..]);
        var jobs = await hub.ScalarAsync<long>($"SELECT count(*) FROM hangfire.job");
        Task<HttpResponseMessage> ResetAsync(string address) => PostFormAsync(Client(hub), "account/forgot", "forgot", new() { ["Input.Email"] = address });

        using (var first = await ResetAsync(email))
        using (var second = await ResetAsync($"{name.ToUpperInvariant()}+other{domain}"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        AssertRefused(await ResetAsync($"{name}+third{domain}"));
        using var other = await ResetAsync($"someone-else{domain}"); // another inbox is not held up
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(jobs + 3, await hub.ScalarAsync<long>($"SELECT count(*) FROM hangfire.job"));
    }

    [Fact]
    public async Task FailedSignIn_SaysTheSame_WhetherTheAccountExists_IsLocked_OrThePasswordIsWrong()
    {
        await using var hub = await LiveJobHub.StartAsync();
        var emails = await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 2 }, "same", 10);
        using var http = Client(hub);

        var wrongPassword = await PageErrorAsync(await SignInAsync(http, emails[0], "a-wrong-password"), "login-error");
        var noAccount = await PageErrorAsync(await SignInAsync(http, "no-such-person@example.com", Password), "login-error");
        for (var i = 0; i < 5; i++)
        {
            await SignInAsync(http, emails[1], "a-wrong-password");
        }

        var locked = await PageErrorAsync(await SignInAsync(http, emails[1], Password), "login-error");
        Assert.NotEqual("", wrongPassword);
        Assert.Equal(wrongPassword, noAccount);
        Assert.Equal(wrongPassword, locked);
    }

    [Fact]
    public async Task SignUp_Burst_IsRefusedOverTheLimit_InEnglish_AndCreatesNoMoreAccountsOrGrants()
    {
        await using var hub = await LiveJobHub.StartAsync(Limit("SignUp", 3));
        var cookies = new CookieContainer();
        cookies.Add(hub.BaseAddress, new Cookie(".AspNetCore.Culture", "c=en|uic=en"));
        var users = await hub.ScalarAsync<long>($"SELECT count(*) FROM users");
        var grants = await hub.ScalarAsync<long>($"SELECT count(*) FROM credit_ledger WHERE kind = 'grant'");

        for (var i = 0; i < 5; i++)
        {
            using var http = Client(hub, cookies);
            using var response = await SignUpAsync(http, $"burst{i}-{Guid.NewGuid():N}@example.com");
            if (i < 3)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Contains("register-sent", await response.Content.ReadAsStringAsync());
                continue;
            }

            AssertRefused(response);
            Assert.Contains("Wait", await PageErrorAsync(response, "register-errors"));
        }

        Assert.Equal(users + 3, await hub.ScalarAsync<long>($"SELECT count(*) FROM users"));
        Assert.Equal(grants, await hub.ScalarAsync<long>($"SELECT count(*) FROM credit_ledger WHERE kind = 'grant'")); // at confirmation only
    }

    [Fact]
    public async Task ApiSubmit_Burst_IsRefusedOverTheLimit_WithNothingStoredOrCharged()
    {
        await using var hub = await LiveJobHub.StartAsync(Limit("Submit", 2), new SimulatorSettings { RunFor = TimeSpan.FromMinutes(5) });
        var (http, user) = await SignedInAsync(hub);
        for (var i = 0; i < 2; i++)
        {
            using var created = await http.PostAsync("api/tools/pose-changer/jobs", PoseForm());
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var job = (await created.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(System.Text.Json.JsonSerializerOptions.Web))!;
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"api/jobs/{job.Id}/cancel", null)).StatusCode);
        }

        var (balance, jobs, files) = (await hub.BalanceAsync(user), await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs"), StoredInputs(hub));
        using var refused = await http.PostAsync("api/tools/pose-changer/jobs", PoseForm());

        AssertRefused(refused);
        Assert.Equal(RateLimitPolicies.RateLimitedCode, (await ApiProblem.ReadAsync(refused)).Code);
        Assert.Equal((balance, jobs, files), (await hub.BalanceAsync(user), await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs"), StoredInputs(hub)));
    }

    [Fact]
    public async Task Submit_FromThePage_CountsAgainstTheSameLimitAsTheApi_AndSaysHowLongToWait()
    {
        await using var hub = await LiveJobHub.StartAsync(Limit("Submit", 1));
        var (http, user) = await SignedInAsync(hub);
        using var created = await http.PostAsync("api/tools/pose-changer/jobs", PoseForm());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var job = (await created.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(System.Text.Json.JsonSerializerOptions.Web))!;
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"api/jobs/{job.Id}/cancel", null)).StatusCode);
        var (balance, files) = (await hub.BalanceAsync(user), StoredInputs(hub));

        await using var scope = hub.Services.CreateAsyncScope();
        var tool = hub.Services.GetRequiredService<JobHub.Core.Tools.ToolCatalog>().Find("pose-changer")!;
        var model = scope.ServiceProvider.GetRequiredService<JobRunnerFactory>().Create(tool, user);
        await model.InitializeAsync();
        Assert.False(await model.RunAsync(TestUploads.Pose(hub.Services.GetRequiredService<StoreInput>(), user), new Dictionary<string, string?>()));

        Assert.Equal("RateLimited", model.Error?.Key);
        Assert.True(int.Parse(model.Error!.Arguments[0]) >= 1);
        Assert.Equal((balance, files, 1L), (await hub.BalanceAsync(user), StoredInputs(hub), await hub.ScalarAsync<long>($"SELECT count(*) FROM jobs")));
    }

    [Fact]
    public async Task Check_Heartbeat_AndTheApi_AreRefusedOverTheirLimits_PerUser()
    {
        var settings = Limit("Check", 1);
        foreach (var (key, value) in Limit("Heartbeat", 1).Concat(Limit("Api", 6)))
        {
            settings[key] = value;
        }

        await using var hub = await LiveJobHub.StartAsync(settings);
        var (http, _) = await SignedInAsync(hub);
        var (other, _) = await SignedInAsync(hub);
        var someJob = Guid.NewGuid();

        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync($"api/jobs/{someJob}/check", null)).StatusCode);
        AssertRefused(await http.PostAsync($"api/jobs/{someJob}/check", null));
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync($"api/jobs/{someJob}/heartbeat", null)).StatusCode);
        AssertRefused(await http.PostAsync($"api/jobs/{someJob}/heartbeat", null));
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync("api/jobs/active")).StatusCode); // the API's 5th and 6th
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync("api/jobs/active")).StatusCode);
        AssertRefused(await http.GetAsync("api/jobs/active"));

        // Per user: another person at the same address is not held up.
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"api/jobs/{someJob}/check", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await other.GetAsync("api/jobs/active")).StatusCode);
    }

    [Fact]
    public async Task CheckStatusNow_OnTheApiAndThePage_AsksRunningHubOnce_WithinTheCooldown()
    {
        var settings = new Dictionary<string, string?> { ["JobHub:RateLimits:CheckCooldown"] = "00:10:00" };
        await using var hub = await LiveJobHub.StartAsync(settings, new SimulatorSettings { RunFor = TimeSpan.FromMinutes(5) });
        var (http, user) = await SignedInAsync(hub);
        var job = await hub.SubmitAsync(user);
        await hub.WaitForJobAsync(job.Id, j => j.Status == JobStatus.Running);

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"api/jobs/{job.Id}/check", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"api/jobs/{job.Id}/check", null)).StatusCode);
        await using var scope = hub.Services.CreateAsyncScope();
        var tool = hub.Services.GetRequiredService<JobHub.Core.Tools.ToolCatalog>().Find("pose-changer")!;
        var model = scope.ServiceProvider.GetRequiredService<JobRunnerFactory>().Create(tool, user);
        await model.InitializeAsync();
        await model.CheckNowAsync();
        await model.PollAsync();

        Assert.Equal("Runner_Checked_" + ReconcileOutcome.RecentlyChecked, model.CheckAnswer?.Key);
        Assert.Equal(1, await hub.ScalarAsync<long>($"SELECT count(*) FROM job_events WHERE job_id = {job.Id} AND kind = 'checked'"));
    }

    [Fact]
    public async Task Webhook_Burst_FromOneAddress_IsRefusedOverTheLimit()
    {
        await using var hub = await LiveJobHub.StartAsync(Limit("Webhook", 2));
        using var http = Client(hub);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync($"api/webhooks/runninghub/{Guid.NewGuid()}?token=bad", new StringContent("{}"))).StatusCode);
        }

        AssertRefused(await http.PostAsync($"api/webhooks/runninghub/{Guid.NewGuid()}?token=bad", new StringContent("{}")));
    }

    [Fact]
    public async Task PasswordResetPolicy_RefusesABurstFromOneAddress()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddOptions<RateLimitOptions>().Configure(o => o.PasswordReset = RateLimitRule.Of(2, TimeSpan.FromMinutes(10)));
        builder.Services.AddSingleton<RateLimits>();
        builder.Services.AddJobHubRateLimits();
        await using var app = builder.Build();
        app.UseRouting();
        app.UseRateLimiter();
        app.MapPost("/reset", () => Results.NoContent()).RequireRateLimiting(RateLimitPolicies.PasswordReset);
        await app.StartAsync();
        using var http = app.GetTestClient();

        Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsync("/reset", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsync("/reset", null)).StatusCode);
        AssertRefused(await http.PostAsync("/reset", null));
    }

    private static MultipartFormDataContent PoseForm()
    {
        var content = new MultipartFormDataContent();
        foreach (var (key, shade) in new[] { ("person", 1), ("pose", 2) })
        {
            var file = new ByteArrayContent(SampleMedia.Png(40, 30, shade));
            file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
            content.Add(file, key, $"{key}.png");
        }

        return content;
    }

    private static int StoredInputs(LiveJobHub hub)
    {
        var root = hub.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<JobHub.Core.JobHubOptions>>().Value.StorageRoot!;
        var inputs = Path.Combine(root, "inputs");
        return Directory.Exists(inputs) ? Directory.EnumerateFiles(inputs, "*", SearchOption.AllDirectories).Count() : 0;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
