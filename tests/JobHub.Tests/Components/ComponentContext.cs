using Bunit;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Tools;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace JobHub.Tests.Components;

/// <summary>
/// A bUnit context (a test holds one and disposes it asynchronously: MudBlazor's services are only IAsyncDisposable) with what JobHub's components need around them: MudBlazor's services, the localizer over JobHub's
/// resources (in <paramref name="culture"/>), and the shipped tool catalog. JavaScript calls answer nothing (loose mode).
/// </summary>
public sealed class ComponentContext : BunitContext
{
    public ComponentContext(string culture = "en")
    {
        System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.CurrentUICulture =
            System.Globalization.CultureInfo.GetCultureInfo(culture);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddTransient<MudBlazor.MudLocalizer, JobHub.Web.Components.Layout.MudTexts>();
        Services.AddLocalization(options => options.ResourcesPath = "Resources");
        Services.AddSingleton(Catalog);
        JobHub.Web.Components.Layout.BrowserTimeZone.AddBrowserTimeZone(Services);
        Services.AddSingleton<Microsoft.AspNetCore.Components.Forms.AntiforgeryStateProvider, FixedAntiforgery>();
        Services.AddSingleton(OutputPolicy);
    }

    /// <summary>The result links pages may show: the default account's, and <c>rh.example</c> for any account.</summary>
    public static JobHub.Core.Jobs.Outputs.OutputUrlPolicy OutputPolicy { get; } = new(
        new JobHub.Core.RunningHub.RunningHubAccounts(Options.Create(new JobHub.Core.RunningHub.RunningHubOptions()), Options.Create(new JobHub.Core.JobHubOptions())),
        Options.Create(new JobHub.Core.RunningHub.RunningHubOptions { OutputHosts = ["rh.example"] }));

    /// <summary>The tools as appsettings.json ships them.</summary>
    public static ToolCatalog Catalog { get; } = LoadCatalog();

    private static ToolCatalog LoadCatalog()
    {
        var options = new ToolsOptions();
        EngineHarness.LoadConfiguration().GetSection(ToolsOptions.Section).Bind(options.Tools);
        return new ToolCatalog(Options.Create(options));
    }
}

/// <summary>The anti-forgery token a page's forms carry, fixed for component tests.</summary>
public sealed class FixedAntiforgery : Microsoft.AspNetCore.Components.Forms.AntiforgeryStateProvider
{
    public const string Token = "test-antiforgery-token";

    public override Microsoft.AspNetCore.Components.Forms.AntiforgeryRequestToken GetAntiforgeryToken() => new(Token, "__RequestVerificationToken");
}
