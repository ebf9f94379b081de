namespace JobHub.Bench.Load;

/// <summary>
/// N JobHub processes on one database and one storage behind nginx, as <c>./jobhub run --instances N</c> runs them, each
/// believing forwarded headers from the proxy alone; users go to <see cref="BaseAddress"/>, kills to <see cref="Instances"/>.
/// </summary>
public sealed class ProxiedInstances : IAsyncDisposable
{
    private ProxiedInstances(IReadOnlyList<JobHubProcess> instances, NginxProxy proxy)
    {
        Instances = instances;
        Proxy = proxy;
    }

    public IReadOnlyList<JobHubProcess> Instances { get; }

    public NginxProxy Proxy { get; }

    /// <summary>The one address in front of the instances (JobHub:PublicBaseUrl of each).</summary>
    public Uri BaseAddress => Proxy.BaseAddress;

    /// <param name="settings">Every instance's configuration: the database, the storage, RunningHub; the proxy's own settings are added.</param>
    /// <param name="folder">Where the instances' logs (<c>jobhub-1.log</c>, …) and nginx's folder go.</param>
    public static async Task<ProxiedInstances> StartAsync(string webExecutable, string repositoryRoot, int count,
        IReadOnlyDictionary<string, string?> settings, string folder)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Directory.CreateDirectory(folder);
        var ports = new List<int>();
        while (ports.Count < count + 1)
        {
            if (JobHubProcess.FreePort() is var port && !ports.Contains(port))
            {
                ports.Add(port);
            }
        }

        var proxyPort = ports[0];
        var shared = new Dictionary<string, string?>(settings)
        {
            ["JobHub:PublicBaseUrl"] = $"http://127.0.0.1:{proxyPort}",
            ["JobHub:Proxy:KnownProxies:0"] = "127.0.0.1",
        };
        var instances = ports.Skip(1).Select((port, i) =>
            new JobHubProcess(webExecutable, new Uri($"http://127.0.0.1:{port}/"), shared, Path.Combine(folder, $"jobhub-{i + 1}.log"))).ToList();
        try
        {
            // Together, as a deployment starts them: migrations and Hangfire's schema are applied once, under their locks.
            await Task.WhenAll(instances.Select(instance => instance.StartAsync()));
            var proxy = await NginxProxy.StartAsync(repositoryRoot, proxyPort, instances.Select(i => i.BaseAddress).ToList(), Path.Combine(folder, "nginx"));
            return new ProxiedInstances(instances, proxy);
        }
        catch
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>The index in <see cref="Instances"/> of the one nginx sends a browser with this affinity cookie to.</summary>
    public async Task<int> InstanceForAsync(string affinity) => IndexOf(await Proxy.UpstreamForAsync(affinity));

    /// <summary>The index of the instance that served the last request nginx logged with this affinity past <paramref name="since"/> (<see cref="NginxProxy.LogMark"/>).</summary>
    public async Task<int> InstanceInLogAsync(string affinity, long since = 0) => IndexOf(await Proxy.UpstreamInLogAsync(affinity, since));

    /// <summary>Sends <paramref name="request"/> and says which instance nginx passed it to (the last one tried).</summary>
    public async Task<(T Answer, int Instance)> ServedAsync<T>(string affinity, Func<Task<T>> request)
    {
        var mark = Proxy.LogMark();
        var answer = await request();
        return (answer, await InstanceInLogAsync(affinity, mark));
    }

    private int IndexOf(string upstream) =>
        Instances.Select((instance, i) => (instance, i)).Single(x => $"{x.instance.BaseAddress.Host}:{x.instance.BaseAddress.Port}" == upstream).i;

    /// <summary>An affinity cookie's value that nginx sends to instance <paramref name="index"/> while the instances are as they are now.</summary>
    public async Task<string> AffinityForAsync(int index)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var affinity = Guid.NewGuid().ToString("N");
            if (await InstanceForAsync(affinity) == index)
            {
                return affinity;
            }
        }

        throw new InvalidOperationException($"nginx sent none of 100 browsers to instance {index + 1}");
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        foreach (var instance in Instances)
        {
            await instance.DisposeAsync();
        }
    }
}
