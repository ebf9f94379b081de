using MudBlazor;

namespace JobHub.Web.Components.Layout;

/// <summary>
/// JobHub's one theme: a light and a dark palette with AA contrast for text (checked in Chromium by ToolPageBrowserTests).
/// Every colour the pages use comes from here, through MudBlazor's palette variables (PaletteColourTests).
/// </summary>
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
            // MudBlazor's red is too light for white text (Delete my account); this one meets AA, as text on white too.
            Error = "#c62828",
            // Green text on white meets AA (the "done" notes, .jobhub-ok), and white text on it (a success snackbar).
            Success = "#2e7d32",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9e9bff",
            // White on this light primary fails AA (a filled button's label, Run): dark text meets it.
            PrimaryContrastText = "#1a1a2e",
            Secondary = "#4db6ac",
            AppbarBackground = "#1e1e2d",
            AppbarText = "#ffffff",
            // MudBlazor's secondary text falls just under AA on its dark surface (hints and limits are read too).
            TextSecondary = "rgba(255,255,255,0.72)",
            // A light red for error text on the dark surfaces (AA), with dark text on it when it is a button.
            Error = "#ff8a80",
            ErrorContrastText = "#1a1a2e",
            // The same for success: a light green for text on the dark surfaces, dark text on it as a snackbar.
            Success = "#81c784",
            SuccessContrastText = "#1a1a2e",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
