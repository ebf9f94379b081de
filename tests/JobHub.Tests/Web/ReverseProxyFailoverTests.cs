using System.Net;
using System.Net.Http.Headers;
using JobHub.Bench.Load;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Web;

/// <summary>
/// nginx's passive health in front of two JobHub processes: when the instance a browser keeps to is killed, its next
/// requests (a POST too: a refused connection sent nothing) go to the other at once, signed in as before; once the
/// instance is back and nginx tries it again, the browser returns to it; one stopped with SIGTERM exits by itself.
/// </summary>
public sealed class ReverseProxyFailoverTests
{
    [Fact]
    public async Task AnInstanceKilled_ItsBrowsersGoToTheOther_AndComeBackWhenItReturns()
    {
        await using var hub = await ProxiedJobHub.StartAsync(2, simulator: new SimulatorSettings { RunFor = TimeSpan.FromSeconds(1) });
        var email = (await hub.CreateUsersAsync())[0];
        var affinity = await hub.Proxied.AffinityForAsync(0);
        var cookies = new CookieContainer();
        cookies.Add(new Cookie(NginxProxy.AffinityCookie, affinity, "/", hub.BaseAddress.Host));
        using var http = ApiSession.Create(hub.BaseAddress, cookies);
        Assert.True(await ApiSession.SignInAsync(http, cookies, email, ProxiedJobHub.Password));
        Assert.Equal(0, await hub.Proxied.InstanceInLogAsync(affinity));

        hub.Instances[0].Kill();

        for (var request = 0; request < 5; request++)
        {
            var (active, instance) = await hub.Proxied.ServedAsync(affinity, () => http.GetAsync("api/jobs/active"));
            using (active)
            {
                Assert.Equal((HttpStatusCode.NoContent, 1), (active.StatusCode, instance));
            }
        }

        using (var inputs = new MultipartFormDataContent { { Png(), "image", "a.png" } })
        {
            var (submitted, instance) = await hub.Proxied.ServedAsync(affinity, () => http.PostAsync("api/tools/image-upscaler/jobs", inputs));
            using (submitted)
            {
                Assert.Equal((HttpStatusCode.Created, 1), (submitted.StatusCode, instance));
            }
        }

        await hub.Instances[0].StartAsync();
        Assert.True(await hub.WaitUntilAsync(async () =>
        {
            var (active, instance) = await hub.Proxied.ServedAsync(affinity, () => http.GetAsync("api/jobs/active"));
            using (active)
            {
                return active.IsSuccessStatusCode && instance == 0;
            }
        }, TimeSpan.FromSeconds(30)), "the browser did not return to its instance once it was back");

        // Stopped as a supervisor stops it (SIGTERM), the instance exits by itself, and its browser goes on at the other.
        Assert.Equal(0, await hub.Instances[0].TerminateAsync(TimeSpan.FromSeconds(60)));
        var (afterStop, servedBy) = await hub.Proxied.ServedAsync(affinity, () => http.GetAsync("api/jobs/active"));
        using (afterStop)
        {
            Assert.True(afterStop.IsSuccessStatusCode, $"answered {(int)afterStop.StatusCode} after its instance stopped");
            Assert.Equal(1, servedBy);
        }
    }

    private static ByteArrayContent Png()
    {
        var content = new ByteArrayContent(SampleMedia.Png(64, 48, 3));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }
}
