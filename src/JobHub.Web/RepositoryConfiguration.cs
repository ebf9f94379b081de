using Microsoft.Extensions.Configuration.Json;

namespace JobHub.Web;

internal static class RepositoryConfiguration
{
    /// <summary>
    /// Reads the repository's <c>appsettings.json</c> (copied next to the binaries at build) as the lowest
    /// layer, so that the environment-specific file, environment variables and arguments override it.
    /// </summary>
    public static IConfigurationBuilder AddRepositoryAppSettings(this IConfigurationBuilder configuration)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var source = new JsonConfigurationSource { Path = path, Optional = false, ReloadOnChange = false };
        source.ResolveFileProvider();
        configuration.Sources.Insert(0, source);
        return configuration;
    }
}
