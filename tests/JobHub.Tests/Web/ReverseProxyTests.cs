using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using JobHub.Bench.Load;
using JobHub.Core.Jobs;
using JobHub.Core.Storage;
using JobHub.Core.Webhooks;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>
/// Two JobHub processes behind nginx: affinity per browser, signatures one instance makes accepted by the other, a circuit
/// over nginx's WebSocket, and an upload that reaches the instance as it is sent.
/// </summary>
public sealed partial class ReverseProxyTests(ReverseProxyTests.TwoInstances shared) : IClassFixture<ReverseProxyTests.TwoInstances>
{
    public sealed class TwoInstances : IAsyncLifetime
    {
        public ProxiedJobHub Hub { get; private set; } = null!;

        public async Task InitializeAsync() => Hub = await ProxiedJobHub.StartAsync(2, simulator: new SimulatorSettings { RunFor = TimeSpan.FromSeconds(4) });

        public async Task DisposeAsync() => await Hub.DisposeAsync();
    }

    private ProxiedJobHub Hub => shared.Hub;

    [Fact]
    public async Task ABrowser_KeepsToOneInstance_AndBrowsersSpreadOverBoth()
    {
        var served = new List<int>();
        for (var browser = 0; browser < 12; browser++)
        {
            var cookies = new CookieContainer();
            using var http = ApiSession.Create(Hub.BaseAddress, cookies);
            using (var first = await http.GetAsync("account/login"))
            {
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            }

            var affinity = cookies.GetCookies(Hub.BaseAddress)[NginxProxy.AffinityCookie]?.Value;
            Assert.False(string.IsNullOrEmpty(affinity), "nginx set no affinity cookie");
            var instance = await Hub.Proxied.InstanceInLogAsync(affinity);
            for (var request = 0; request < 3; request++)
            {
                var (again, servedBy) = await Hub.Proxied.ServedAsync(affinity, () => http.GetAsync("health/ready"));
                using (again)
                {
                    Assert.Equal((HttpStatusCode.OK, instance), (again.StatusCode, servedBy));
                    Assert.False(again.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith(NginxProxy.AffinityCookie, StringComparison.Ordinal)),
                        "the affinity cookie was set again");
                }
            }

            served.Add(instance);
        }

        Assert.Equal([0, 1], served.Distinct().Order());
    }

    [Fact]
    public async Task ASignIn_AndTheTokensOfOneInstance_AreAcceptedByTheOther()
    {
        var email = (await Hub.CreateUsersAsync())[0];
        var cookies = new CookieContainer(); // cookies go to every port of 127.0.0.1, as a browser's would
        using var first = ApiSession.Create(Hub.Instances[0].BaseAddress, cookies);
        using var second = ApiSession.Create(Hub.Instances[1].BaseAddress, cookies);

        // The sign-in form (its anti-forgery cookie and field) from the first, posted to the second.
        var form = await first.GetStringAsync("account/login");
        using (var signIn = await second.PostAsync("account/login", new FormUrlEncodedContent(new Dictionary<string, string>
               {
                   ["_handler"] = "login",
                   ["__RequestVerificationToken"] = Token(form),
                   ["Input.Email"] = email,
                   ["Input.Password"] = ProxiedJobHub.Password,
               })))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        // The sign-in cookie the second issued opens the first; the token of a tool page the first rendered lets the second take an upload.
        using (var active = await first.GetAsync("api/jobs/active"))
        {
            Assert.Equal(HttpStatusCode.NoContent, active.StatusCode);
        }

        var token = Token(await first.GetStringAsync("tools/image-upscaler"));
        using var upload = new HttpRequestMessage(HttpMethod.Post, "uploads/image-upscaler/image?name=a.png") { Content = Png() };
        upload.Headers.Add(UploadEndpoints.TokenHeader, token);
        using var uploaded = await second.SendAsync(upload);
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);
        Assert.NotNull((await uploaded.Content.ReadFromJsonAsync<UploadAnswer>(System.Text.Json.JsonSerializerOptions.Web))!.UploadId);
    }

    [Fact]
    public async Task AToolPage_ThroughNginx_RunsItsCircuitOverAWebSocket_AndFollowsAJobSubmittedOnTheOtherInstance()
    {
        var email = (await Hub.CreateUsersAsync(credits: 20))[0];
        await using var context = await Hub.NewBrowserContextOnAsync(0);
        var page = await context.NewPageAsync();
        var sockets = new List<string>();
        page.WebSocket += (_, socket) => sockets.Add(socket.Url);
        await page.GotoAsync(new Uri(Hub.BaseAddress, "account/login").ToString());
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", ProxiedJobHub.Password);
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(Hub.BaseAddress.ToString());
        await BrowserPages.WaitForCircuitAsync(page);
        Assert.Contains(sockets, url => url.StartsWith($"ws://{Hub.BaseAddress.Authority}/_blazor", StringComparison.Ordinal));
        var affinity = (await context.CookiesAsync()).Single(c => c.Name == NginxProxy.AffinityCookie).Value;
        Assert.Equal(0, await Hub.Proxied.InstanceInLogAsync(affinity));
        await Assertions.Expect(page.Locator("#balance")).ToContainTextAsync("20");

        // Submitted through the other instance's API: the page learns of it from the database (NOTIFY), and of its end,
        // whose webhook came back through nginx.
        var cookies = new CookieContainer();
        using var other = ApiSession.Create(Hub.Instances[1].BaseAddress, cookies);
        Assert.True(await ApiSession.SignInAsync(other, cookies, email, ProxiedJobHub.Password));
        using var inputs = new MultipartFormDataContent { { Png(), "person", "person.png" }, { Png(2), "pose", "pose.png" } };
        using (var submitted = await other.PostAsync("api/tools/pose-changer/jobs", inputs))
        {
            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        }

        await Assertions.Expect(page.Locator("#active-job")).ToBeVisibleAsync(new() { Timeout = 15000 });
        await Assertions.Expect(page.Locator("#balance")).ToContainTextAsync("17");
        await Assertions.Expect(page.Locator("#active-job")).ToHaveCountAsync(0, new() { Timeout = 30000 });
        Assert.True(await Hub.ScalarAsync<long>($"SELECT count(*) FROM webhook_deliveries WHERE outcome = {WebhookOutcomes.Finished}") >= 1, "no webhook came back through nginx");
    }

    [Fact]
    public async Task ALargeUpload_ThroughNginx_ReachesTheInstance_AsItIsSent()
    {
        var email = (await Hub.CreateUsersAsync())[0];
        var cookies = new CookieContainer();
        using var http = ApiSession.Create(Hub.BaseAddress, cookies, TimeSpan.FromMinutes(2));
        Assert.True(await ApiSession.SignInAsync(http, cookies, email, ProxiedJobHub.Password));
        var token = Token(await http.GetStringAsync("tools/video-upscaler"));
        var body = new UploadEndpointTests.LargeMp4Content(25 * 1024 * 1024, pauseAfter: 16 * 1024 * 1024);
        using var upload = new HttpRequestMessage(HttpMethod.Post, "uploads/video-upscaler/video?name=clip.mp4") { Content = body };
        upload.Headers.Add(UploadEndpoints.TokenHeader, token);

        var sending = http.SendAsync(upload);

        // While the client waits half-way, most of what it sent is already in a file under the storage root: nginx passed
        // the body on as it came, it did not gather it first.
        var receiving = Path.Combine(Hub.StorageRoot, LocalFileStorage.ReceivingFolder);
        Assert.True(await body.Paused.Task.WaitAsync(TimeSpan.FromSeconds(60)) && await Hub.WaitUntilAsync(() => Task.FromResult(
            Directory.Exists(receiving) && Directory.GetFiles(receiving, "*", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length >= 12 * 1024 * 1024)),
            TimeSpan.FromSeconds(20)), "no file under the storage root grew while the body was arriving through nginx");
        body.Resume();
        using var response = await sending;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<UploadAnswer>(System.Text.Json.JsonSerializerOptions.Web))!.UploadId;
        var stored = System.Text.Json.JsonSerializer.Deserialize<StoredInput>(
            await Hub.ScalarAsync<string>($"SELECT input::text FROM uploads WHERE id = {id}"), JobJson.Options)!;
        Assert.Equal(body.Length, stored.Bytes);
    }

    private static string Token(string page)
    {
        var match = AntiforgeryField().Match(page);
        Assert.True(match.Success, "the page carries no anti-forgery token");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    private static ByteArrayContent Png(int shade = 1)
    {
        var content = new ByteArrayContent(SampleMedia.Png(64, 48, shade));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
