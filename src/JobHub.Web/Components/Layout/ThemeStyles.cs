using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace JobHub.Web.Components.Layout;

/// <summary>
/// JobHub's theme as one stylesheet made once per process (MudBlazor's theme provider with the light palette, the dark
/// one's variables under <c>html.jobhub-dark</c>), in the page's static head: no circuit holds a theme provider
/// (docs/decisions/0007-circuit-memory-markup.md), and the remembered palette applies before the first paint (app.js).
/// </summary>
public sealed class ThemeStyles(IServiceProvider services, ILoggerFactory loggers)
{
    public const string DarkClass = "jobhub-dark";

    private readonly Lazy<Task<MarkupString>> styles = new(() => BuildAsync(services, loggers));

    public Task<MarkupString> GetAsync() => styles.Value;

    private static async Task<MarkupString> BuildAsync(IServiceProvider services, ILoggerFactory loggers)
    {
        await using var scope = services.CreateAsyncScope();
        await using var renderer = new HtmlRenderer(scope.ServiceProvider, loggers);
        var light = await RenderAsync(renderer, dark: false);
        var dark = await RenderAsync(renderer, dark: true);
        // The dark render's variables block (its other rules are the light one's), re-scoped to the dark class.
        var start = dark.IndexOf(":root{", StringComparison.Ordinal);
        var end = dark.IndexOf('}', start);
        return new MarkupString($"{light}\n<style>html.{DarkClass}{dark[(start + ":root".Length)..(end + 1)]}</style>");
    }

    private static Task<string> RenderAsync(HtmlRenderer renderer, bool dark) => renderer.Dispatcher.InvokeAsync(async () =>
        (await renderer.RenderComponentAsync<MudThemeProvider>(ParameterView.FromDictionary(new Dictionary<string, object?>
        {
            [nameof(MudThemeProvider.Theme)] = JobHubTheme.Theme,
            [nameof(MudThemeProvider.IsDarkMode)] = dark,
        }))).ToHtmlString());
}
