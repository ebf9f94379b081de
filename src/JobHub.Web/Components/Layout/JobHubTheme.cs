using MudBlazor;

namespace JobHub.Web.Components.Layout;

/// <summary>JobHub's one theme: a light and a dark palette with AA contrast for text (checked in Chromium by ToolPageBrowserTests).</summary>
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
            // MudBlazor's red carries white text at 3.7:1 (Delete my account); this one reads at 5.6:1, as text on white too.
            Error = "#c62828",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9e9bff",
            // White on this light primary is 2.4:1 (a filled button's label, Run): dark text reads at 7:1.
            PrimaryContrastText = "#1a1a2e",
            Secondary = "#4db6ac",
            AppbarBackground = "#1e1e2d",
            AppbarText = "#ffffff",
            // MudBlazor's secondary text is 4.4:1 on its dark surface, under AA's 4.5:1 (hints and limits are read too).
            TextSecondary = "rgba(255,255,255,0.72)",
            // A light red for error text on the dark surfaces (5.2:1 or more), with dark text on it when it is a button.
            Error = "#ff8a80",
            ErrorContrastText = "#1a1a2e",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
