using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using JobHub.Bench.Load;
using JobHub.Core.Webhooks;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Web;

/// <summary>
/// Headers and cookies for a site behind a TLS proxy, on real Kestrel: every kind of response carries the security headers,
/// job files are sandboxed, forwarded headers count only from a configured proxy, and an https public address brings HSTS
/// and <c>Secure</c> cookies.
/// </summary>
public sealed class SecurityHeadersTests
{
    private static readonly SimulatorSettings Slow = new() { QueuedFor = TimeSpan.FromMinutes(5) };

    private static void AssertSecurityHeaders(HttpResponseMessage response, string what)
    {
        var csp = Header(response, "Content-Security-Policy");
        Assert.True(csp is not null, $"{what}: no Content-Security-Policy");
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("same-origin", Header(response, "Referrer-Policy"));
        Assert.Contains("camera=()", Header(response, "Permissions-Policy"));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;

    [Fact]
    public async Task EveryKindOfResponse_CarriesTheSecurityHeaders_AndJobFilesAreSandboxed()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Slow);
        var email = (await LoadDriver.CreateUsersAsync(hub.Db, new LoadPlan { Users = 1 }, "headers", 100))[0];
        var cookies = new CookieContainer();
        using var http = ApiSession.Create(hub.BaseAddress, cookies);
        Assert.True(await ApiSession.SignInAsync(http, cookies, email, new LoadPlan().Password));
        var image = new MultipartFormDataContent();
        var file = new ByteArrayContent(SampleMedia.Png(64, 48));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        image.Add(file, "image", "photo.png");
        using var submitted = await http.PostAsync("api/tools/image-upscaler/jobs", image);
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var job = (await submitted.Content.ReadFromJsonAsync<JobApiEndpoints.JobView>(System.Text.Json.JsonSerializerOptions.Web))!;
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = hub.BaseAddress };

        var responses = new (string What, HttpClient Client, string Path, HttpStatusCode Status)[]
        {
            ("page", http, "", HttpStatusCode.OK),
            ("sign-in page", anonymous, "account/login", HttpStatusCode.OK),
            ("API", http, $"api/jobs/{job.Id}", HttpStatusCode.OK),
            ("API, not signed in", anonymous, "api/jobs/active", HttpStatusCode.Unauthorized),
            ("static file", anonymous, "app.css", HttpStatusCode.OK),
            ("error page", http, "no-such-page", HttpStatusCode.NotFound),
            ("redirect", anonymous, "history", HttpStatusCode.Redirect),
            ("health", anonymous, "health", HttpStatusCode.OK),
            ("webhook", anonymous, $"api/webhooks/runninghub/{job.Id}?token=x", HttpStatusCode.Unauthorized),
        };
        foreach (var (what, client, path, status) in responses)
        {
            using var response = path.StartsWith("api/webhooks", StringComparison.Ordinal)
                ? await client.PostAsync(path, new StringContent("{}", Encoding.UTF8, "application/json"))
                : await client.GetAsync(path);
            Assert.True(status == response.StatusCode, $"{what}: {(int)response.StatusCode}");
            AssertSecurityHeaders(response, what);
        }

        using var page = await http.GetAsync("");
        var policy = Header(page, "Content-Security-Policy")!;
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Contains("script-src 'self';", policy);
        Assert.Contains("connect-src 'self'", policy);

        // A stored file is its owner's, served with a sandbox: an HTML or SVG file opened from here runs no script as JobHub.
        using var input = await http.GetAsync($"files/jobs/{job.Id}/inputs/0");
        Assert.Equal(HttpStatusCode.OK, input.StatusCode);
        AssertSecurityHeaders(input, "job file");
        Assert.StartsWith("sandbox", Header(input, "Content-Security-Policy"));
        Assert.Equal("image/png", input.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ForwardedHeaders_AreBelievedOnlyFromAConfiguredProxy()
    {
        await using var direct = await LiveJobHub.StartAsync(simulator: Slow);
        Assert.Equal("127.0.0.1", await RemoteAddressSeenAsync(direct, "203.0.113.9"));
        using (var response = await GetAsync(direct, "account/login", forwardedProto: "https"))
        {
            Assert.Null(Header(response, "Strict-Transport-Security")); // a forged X-Forwarded-Proto changes nothing
        }

        await using var proxied = await LiveJobHub.StartAsync(new Dictionary<string, string?> { ["JobHub:Proxy:KnownProxies:0"] = "127.0.0.1" }, Slow);
        Assert.Equal("203.0.113.9", await RemoteAddressSeenAsync(proxied, "203.0.113.9"));
    }

    [Fact]
    public async Task AnHttpsPublicAddress_BringsHsts_AndSecureCookies()
    {
        var settings = new Dictionary<string, string?>
        {
            ["JobHub:PublicBaseUrl"] = "https://jobhub.example",
            ["JobHub:Proxy:KnownNetworks:0"] = "127.0.0.0/8",
        };
        await using var hub = await LiveJobHub.StartAsync(settings, Slow);

        using var login = await GetAsync(hub, "account/login", forwardedProto: "https");
        Assert.Contains("max-age=", Header(login, "Strict-Transport-Security"));
        var setCookies = login.Headers.GetValues("Set-Cookie").ToList();
        Assert.NotEmpty(setCookies);
        Assert.All(setCookies, cookie => Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase));

        using var language = await GetAsync(hub, "account/culture?culture=en&returnUrl=/", forwardedProto: "https");
        Assert.All(language.Headers.GetValues("Set-Cookie"), cookie => Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase));

        // Served over plain http (not through the proxy): no HSTS, which browsers ignore there anyway.
        using var plain = await GetAsync(hub, "account/login");
        Assert.Null(Header(plain, "Strict-Transport-Security"));
    }

    [Fact]
    public async Task AnHttpPublicAddress_SetsNoHsts_AndCookiesFollowTheRequest()
    {
        await using var hub = await LiveJobHub.StartAsync(simulator: Slow);
        using var login = await GetAsync(hub, "account/login");
        Assert.Null(Header(login, "Strict-Transport-Security"));
        Assert.All(login.Headers.GetValues("Set-Cookie"), cookie => Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    private static async Task<HttpResponseMessage> GetAsync(LiveJobHub hub, string path, string? forwardedProto = null)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = hub.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = "jobhub.example";
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }

        return await http.SendAsync(request);
    }

    /// <summary>The client address JobHub saw, as a stored webhook delivery (valid token, malformed body) records it.</summary>
    private static async Task<string> RemoteAddressSeenAsync(LiveJobHub hub, string forwardedFor)
    {
        var job = await hub.SubmitAsync(await hub.CreateUserAsync());
        var token = await hub.Services.GetRequiredService<WebhookTokens>().CreateTokenAsync(job.Id);
        using var http = new HttpClient { BaseAddress = hub.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/webhooks/runninghub/{job.Id}?token={token}")
        {
            Content = new StringContent("not json", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return await hub.ScalarAsync<string>($"SELECT headers ->> 'Remote-Address' FROM webhook_deliveries WHERE job_id = {job.Id}");
    }
}
