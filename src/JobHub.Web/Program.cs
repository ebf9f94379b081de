using JobHub.Core.Persistence;
using JobHub.Web;

try
{
    var app = JobHubApp.Create(args);
    await JobHubApp.PrepareAsync(app);
    await app.RunAsync();
    return 0;
}
catch (LegacySchemaException ex)
{
    Console.Error.WriteLine($"JobHub cannot start: {ex.Message}");
    return 3;
}
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    Console.Error.WriteLine($"JobHub cannot start, the configuration is invalid: {string.Join(" ", ex.Failures)}");
    return 4;
}

/// <summary>Entry point; public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
