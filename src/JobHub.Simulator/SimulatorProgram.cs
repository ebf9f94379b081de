using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace JobHub.Simulator;

/// <summary>
/// The simulated RunningHub as a service of its own, as RunningHub is one: bound to a loopback address only, configured
/// by the <c>Simulator</c> section (environment <c>Simulator__BaseUrl</c>, <c>Simulator__ApiKeys__0</c>, <c>Simulator__DataFolder</c>).
/// </summary>
public static class SimulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Validated before the host is built, not on start: the address decides where Kestrel listens.
        var options = builder.Configuration.GetSection(SimulatorOptions.Section).Get<SimulatorOptions>() ?? new SimulatorOptions();
        var problems = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), problems, validateAllProperties: true))
        {
            Console.Error.WriteLine($"The simulator cannot start: {string.Join(" ", problems.Select(p => p.ErrorMessage))}");
            return 4;
        }

        var baseUrl = new Uri(options.BaseUrl);
        // Only the loopback address it names, whatever --urls or ASPNETCORE_URLS say.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(SimulatorOptions.LoopbackAddress(baseUrl)!, baseUrl.Port));
        builder.Services.AddRunningHubSimulator(options);
        var app = builder.Build();
        app.MapGet(baseUrl.AbsolutePath.TrimEnd('/') + "/health", () => Results.Text("ok"));
        app.MapRunningHubSimulator(baseUrl.AbsolutePath.TrimEnd('/'));
        await app.StartAsync();
        var state = app.Services.GetRequiredService<SimulatorState>();
        app.Logger.LogInformation(
            "RunningHub simulator at {BaseUrl} ({Tasks} tasks kept, data: {DataFolder}); controls at {BaseUrl}/_control/settings, /_control/stats, /_control/reset, for this machine only",
            options.BaseUrl.TrimEnd('/'), state.Tasks.Count, string.IsNullOrWhiteSpace(options.DataFolder) ? "in memory" : options.DataFolder, options.BaseUrl.TrimEnd('/'));
        await app.WaitForShutdownAsync();
        return 0;
    }
}
