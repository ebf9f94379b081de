using JobHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobHub.Bench;

/// <summary>
/// The RunningHub simulator in the benchmark's process on a loopback port of its own (so it outlives a JobHub that is
/// killed, as RunningHub would), with a key generated for the run; JobHub reaches it over HTTP.
/// </summary>
internal sealed class BenchSimulator : IAsyncDisposable
{
    private BenchSimulator(WebApplication app, string baseUrl, string apiKey)
    {
        App = app;
        BaseUrl = baseUrl;
        ApiKey = apiKey;
    }

    public WebApplication App { get; }
    public string BaseUrl { get; }
    public string ApiKey { get; }
    public SimulatorState State => App.Services.GetRequiredService<SimulatorState>();

    /// <summary>JobHub's configuration for running against this simulator.</summary>
    public Dictionary<string, string?> JobHubSettings() => new()
    {
        ["JobHub:RunningHub:Simulator:BaseUrl"] = BaseUrl,
        ["JobHub:RunningHub:Simulator:ApiKey"] = ApiKey,
    };

    /// <param name="dataFolder">Where it keeps the files JobHub uploads to it; none: in this process's memory.</param>
    public static async Task<BenchSimulator> StartAsync(SimulatorSettings? settings = null, string? dataFolder = null)
    {
        var baseUrl = $"http://127.0.0.1:{Load.JobHubProcess.FreePort()}";
        var apiKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(baseUrl);
        builder.Services.AddRunningHubSimulator(new SimulatorOptions
        {
            BaseUrl = baseUrl, ApiKeys = [apiKey], Settings = settings ?? new SimulatorSettings(), DataFolder = dataFolder,
        });
        var app = builder.Build();
        app.MapRunningHubSimulator();
        await app.StartAsync();
        return new BenchSimulator(app, baseUrl, apiKey);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
