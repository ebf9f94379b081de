using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using JobHub.Bench.Load;
using JobHub.Core.Tools;
using JobHub.Tests.Infrastructure;
using JobHub.Web.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using YamlDotNet.RepresentationModel;

namespace JobHub.Tests.Script;

/// <summary>
/// The one nginx template (<c>deploy/nginx/jobhub.conf.template</c>) as <c>./jobhub</c> renders it and as the official
/// image of <c>docker-compose.yml</c> renders it, each accepted by <c>nginx -t</c>; what nginx started from it sends an
/// upstream; the compose file read as YAML (no Docker engine runs here): replicas behind nginx, one PostgreSQL, one storage.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class ProxyConfigTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("jobhub-nginx-").FullName;

    [Fact]
    public async Task TheScriptsRendering_IsAcceptedByNginx_AndNamesEveryInstance()
    {
        await RenderWithScriptAsync("127.0.0.1:5599", "127.0.0.1:5601", "127.0.0.1:5602");

        var site = await File.ReadAllTextAsync(Path.Combine(folder, "jobhub.conf"));
        Assert.DoesNotContain("${", site);
        Assert.Contains("listen 127.0.0.1:5599;", site);
        Assert.Equal(["127.0.0.1:5601", "127.0.0.1:5602"], ServerLine().Matches(site).Select(m => m.Groups["address"].Value));
        await NginxAcceptsAsync(Path.Combine(folder, "nginx.conf"));
    }

    [Fact]
    public async Task TheProxy_ReplacesForgedForwardedHeaders_SetsItsAffinityCookieOnce_AndLogsNoQueryString()
    {
        // A plain upstream that answers with the headers it was sent, behind nginx started from the rendered template.
        var port = KestrelJobHub.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        await using var upstream = builder.Build();
        upstream.MapGet("/{**path}", (HttpRequest request) => Results.Json(request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString())));
        await upstream.StartAsync();
        await using var proxy = await NginxProxy.StartAsync(Repository.Root, KestrelJobHub.FreePort(), [new Uri($"http://127.0.0.1:{port}/")], folder);
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false });

        using var first = new HttpRequestMessage(HttpMethod.Get, new Uri(proxy.BaseAddress, "api/webhooks/runninghub/1?token=not-for-the-log"));
        first.Headers.Add("X-Forwarded-For", "203.0.113.9");
        first.Headers.Add("X-Forwarded-Proto", "https");
        using var answer = await http.SendAsync(first);
        var seen = (await answer.Content.ReadFromJsonAsync<Dictionary<string, string>>())!;

        Assert.Equal(("127.0.0.1", "http", proxy.BaseAddress.Authority), (seen["X-Forwarded-For"], seen["X-Forwarded-Proto"], seen["Host"]));
        var cookie = Assert.Single(answer.Headers.GetValues("Set-Cookie"));
        Assert.Matches($"^{NginxProxy.AffinityCookie}=[0-9a-f]{{32}}; Path=/; HttpOnly; SameSite=Lax$", cookie);
        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(proxy.BaseAddress, "page"));
        again.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var second = await http.SendAsync(again);
        Assert.False(second.Headers.Contains("Set-Cookie"), "the affinity cookie was set again");
        var log = await proxy.AccessLogTextAsync();
        Assert.Contains("\"GET /api/webhooks/runninghub/1\"", log);
        Assert.DoesNotContain("not-for-the-log", log);
    }

    [Fact]
    public async Task AWebhookThatFindsNoInstance_LeavesItsTokenOutOfTheErrorLog()
    {
        // No instance listens: nginx writes an error line quoting the request, for a page; for a webhook, none.
        await using var proxy = await NginxProxy.StartAsync(Repository.Root, KestrelJobHub.FreePort(), [new Uri($"http://127.0.0.1:{KestrelJobHub.FreePort()}/")], folder);
        using var http = new HttpClient();

        using var webhook = await http.PostAsync(new Uri(proxy.BaseAddress, "api/webhooks/runninghub/1?token=webhook-secret"), new StringContent("{}"));
        using var page = await http.GetAsync(new Uri(proxy.BaseAddress, "tools?mark=page-request"));

        Assert.Equal(HttpStatusCode.BadGateway, webhook.StatusCode);
        var errors = await File.ReadAllTextAsync(proxy.ErrorLog);
        Assert.Contains("page-request", errors);
        Assert.DoesNotContain("webhook-secret", errors);
    }

    [Fact]
    public void TheProxysBodyLimit_IsJobHubsLargestRequest_InWholeMegabytes()
    {
        var options = new ToolsOptions();
        EngineHarness.LoadConfiguration().GetSection(ToolsOptions.Section).Bind(options.Tools);
        var largest = options.Tools.Values.Max(JobApiEndpoints.RequestLimit);

        var limit = Regex.Match(File.ReadAllText(Template), @"client_max_body_size (\d+)m;");

        Assert.True(limit.Success, "the template sets no client_max_body_size in megabytes");
        Assert.Equal((largest + (1 << 20) - 1) >> 20, long.Parse(limit.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TheTemplate_LogsNoQueryString_SoTheWebhooksTokenStaysOutOfTheLog()
    {
        var format = Regex.Match(File.ReadAllText(Template), @"log_format jobhub (?<format>[^;]+);").Groups["format"].Value;

        Assert.Contains("$uri", format);
        Assert.DoesNotMatch(@"\$(request|request_uri|args|query_string|http_cookie)\b", format);
    }

    [Fact]
    public async Task DockerCompose_RunsReplicasBehindNginx_OnOneDatabaseAndOneStorage_FromTheSameTemplate()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await File.ReadAllTextAsync(Repository.PathOf("docker-compose.yml"))));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var services = Map(root, "services");
        Assert.Equal(["jobhub", "nginx", "postgres"], services.Children.Keys.Select(k => k.ToString()).Order());

        // JobHub: replicas (2 unless JOBHUB_REPLICAS says otherwise), no host port of their own, the proxy's address and only
        // its forwarded headers, the storage volume shared by all.
        var jobhub = Map(services, "jobhub");
        Assert.Equal("${JOBHUB_REPLICAS:-2}", Scalar(Map(jobhub, "deploy"), "replicas"));
        Assert.False(jobhub.Children.ContainsKey("ports") || jobhub.Children.ContainsKey("container_name"));
        var environment = Map(jobhub, "environment");
        var nginx = Map(services, "nginx");
        var proxyAddress = Scalar(Map(Map(nginx, "networks"), "default"), "ipv4_address");
        Assert.Equal(proxyAddress, Scalar(environment, "JobHub__Proxy__KnownProxies__0"));
        Assert.Equal("${JOBHUB_PUBLIC_URL:-http://localhost:8080}", Scalar(environment, "JobHub__PublicBaseUrl"));
        Assert.Contains("storage:/data/storage", Sequence(jobhub, "volumes"));
        Assert.StartsWith("Host=postgres;", Scalar(environment, "ConnectionStrings__JobHub"));

        // nginx: the official image (resolve needs 1.27.3 or later) with the repository's template, on the published port.
        var image = Regex.Match(Scalar(nginx, "image"), @"^nginx:(\d+)\.(\d+)$");
        Assert.True(image.Success && new Version(int.Parse(image.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(image.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) >= new Version(1, 27), Scalar(nginx, "image"));
        Assert.Contains("./deploy/nginx/jobhub.conf.template:/etc/nginx/templates/jobhub.conf.template:ro", Sequence(nginx, "volumes"));
        var nginxEnvironment = Map(nginx, "environment");
        Assert.Contains($"8080:{Scalar(nginxEnvironment, "JOBHUB_LISTEN")}", Sequence(nginx, "ports"));
        var servers = Scalar(nginxEnvironment, "JOBHUB_UPSTREAM_SERVERS");
        Assert.Contains("resolver 127.0.0.11 valid=10s", servers);
        Assert.Contains("server jobhub:8080 resolve ", servers);

        // The replicas' servers are marked down and retried as the script's instances are.
        await RenderWithScriptAsync("127.0.0.1:5599", "127.0.0.1:5601");
        var scriptServer = ServerLine().Match(await File.ReadAllTextAsync(Path.Combine(folder, "jobhub.conf")));
        Assert.EndsWith(scriptServer.Groups["health"].Value, servers.TrimEnd().TrimEnd(';'));

        // What the image's envsubst makes of the template, checked by nginx -t.
        var rendered = await File.ReadAllTextAsync(Template);
        foreach (var (name, value) in nginxEnvironment.Children.Select(c => (c.Key.ToString(), c.Value.ToString())))
        {
            rendered = rendered.Replace("${" + name + "}", value, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("${", rendered);
        if (await NginxVersionAsync() < new Version(1, 27, 3))
        {
            // Debian 12's nginx predates a resolver in an upstream and "resolve": the rest of the configuration is checked
            // with a fixed address in their place.
            rendered = rendered.Replace("resolver 127.0.0.11 valid=10s ipv6=off;", "", StringComparison.Ordinal)
                .Replace("server jobhub:8080 resolve ", "server 127.0.0.1:8080 ", StringComparison.Ordinal);
        }

        var docker = Directory.CreateDirectory(Path.Combine(folder, "docker", "temp")).Parent!.FullName;
        await File.WriteAllTextAsync(Path.Combine(docker, "jobhub.conf"), rendered);
        var main = (await File.ReadAllTextAsync(Repository.PathOf("deploy/nginx/private.conf.template")))
            .Replace("${JOBHUB_NGINX_DIR}", docker, StringComparison.Ordinal)
            .Replace("${JOBHUB_NGINX_ERROR_LOG}", Path.Combine(docker, "error.log"), StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(docker, "nginx.conf"), main);
        await NginxAcceptsAsync(Path.Combine(docker, "nginx.conf"));
    }

    private static string Template => Repository.PathOf("deploy/nginx/jobhub.conf.template");

    [GeneratedRegex(@"server (?<address>[^ ;]+) (?<health>max_fails=\d+ fail_timeout=\w+);")]
    private static partial Regex ServerLine();

    private Task RenderWithScriptAsync(string listen, params string[] instances) =>
        RunAsync("bash", [Repository.PathOf("jobhub"), "nginx-config", folder, listen, Path.Combine(folder, "access.log"), Path.Combine(folder, "error.log"), .. instances]);

    private static async Task NginxAcceptsAsync(string configuration)
    {
        var output = await RunAsync(NginxProxy.Executable, ["-t", "-p", Path.GetDirectoryName(configuration) + "/", "-c", configuration,
            "-e", Path.Combine(Path.GetDirectoryName(configuration)!, "error.log")]);
        Assert.Contains("test is successful", output);
    }

    private static async Task<Version> NginxVersionAsync() =>
        Version.Parse(Regex.Match(await RunAsync(NginxProxy.Executable, ["-v"]), @"nginx/(\d+\.\d+\.\d+)").Groups[1].Value);

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node.Children[new YamlScalarNode(key)]).Value!;

    private static IReadOnlyList<string> Sequence(YamlMappingNode node, string key) =>
        ((YamlSequenceNode)node.Children[new YamlScalarNode(key)]).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();

    /// <summary>Runs a program to its end; its output and errors together, or a failed assertion with them.</summary>
    private static async Task<string> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output + await errors;
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {text}");
        return text;
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
