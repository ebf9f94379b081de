using MudBlazor;

namespace JobHub.Web.Components.Layout;

/// <summary>JobHub's one theme: a light and a dark palette with AA contrast for text on the app bar and on buttons.</summary>
public static class JobHubTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3f3bb8",
            Secondary = "#00796b",
            AppbarBackground = "#3f3bb8",
            AppbarText = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9e9bff",
            Secondary = "#4db6ac",
            AppbarBackground = "#1e1e2d",
            AppbarText = "#ffffff",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
