using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace JobHub.Web.Components.Layout;

/// <summary>
/// MudBlazor's look without its components, for the controls a page keeps all its life as plain elements
/// (docs/decisions/0007): the CSS classes each MudBlazor component renders, one member per control and used wherever
/// that control is written. LightMarkupTests renders the real components and fails when their classes drift from these.
/// </summary>
public static class Light
{
    /// <summary>MudButton's root (medium size, ripple) in a variant and colour.</summary>
    public static string Button(Variant variant, Color color)
    {
        var look = $"mud-button-{Name(variant)}";
        return $"mud-button-root mud-button {look} {look}-{Name(color)} {look}-size-medium mud-ripple";
    }

    /// <summary>The span around a MudButton's text.</summary>
    public const string ButtonLabel = "mud-button-label";

    /// <summary>MudIconButton's root in the app bar's colour (inherited), optionally aligned with the bar's start edge.</summary>
    public static string IconButton(bool edgeStart = false) =>
        "mud-button-root mud-icon-button mud-inherit-text hover:mud-inherit-hover mud-ripple mud-ripple-icon" + (edgeStart ? " mud-icon-button-edge-start" : "");

    /// <summary>The span around a MudIconButton's icon.</summary>
    public const string IconButtonLabel = "mud-icon-button-label";

    /// <summary>MudIcon's svg in a size (its colour inherited, or the default text colour).</summary>
    public static string Icon(Size size, Color color = Color.Inherit) =>
        $"mud-icon-root{(color == Color.Default ? " mud-icon-default" : "")} mud-svg-icon mud-icon-size-{Name(size)}";

    /// <summary>One of MudBlazor's <c>Icons</c> (an svg's inner markup) drawn as MudIcon draws it.</summary>
    public static RenderFragment Svg(string icon, Size size = Size.Medium, string? extraClass = null, Color color = Color.Inherit) => builder =>
    {
        builder.OpenElement(0, "svg");
        builder.AddAttribute(1, "class", extraClass is null ? Icon(size, color) : $"{Icon(size, color)} {extraClass}");
        builder.AddAttribute(2, "focusable", "false");
        builder.AddAttribute(3, "viewBox", "0 0 24 24");
        builder.AddAttribute(4, "aria-hidden", "true");
        builder.AddAttribute(5, "role", "img");
        builder.AddMarkupContent(6, icon);
        builder.CloseElement();
    };

    /// <summary>MudChipSet's root and each chip's wrapper.</summary>
    public const string ChipSet = "mud-chipset";

    public const string ChipContainer = "mud-chip-container";

    /// <summary>An outlined primary MudChip (medium, clickable), and its selected state.</summary>
    public static string Chip(bool selected) =>
        "mud-chip mud-chip-outlined mud-chip-size-medium mud-chip-color-primary mud-clickable mud-ripple" + (selected ? " mud-chip-selected" : "");

    /// <summary>A selected chip's check mark (an icon with this class too) and the chip's text.</summary>
    public const string ChipIcon = "mud-chip-icon";

    public const string ChipContent = "mud-chip-content";

    /// <summary>An outlined MudPaper.</summary>
    public const string OutlinedPaper = "mud-paper mud-paper-outlined";

    /// <summary>MudText in a typography.</summary>
    public static string Text(Typo typo) => $"mud-typography mud-typography-{typo}";

    /// <summary>The navigation drawer as MudDrawer renders it open, responsive from the md breakpoint, clipped under the app bar.</summary>
    public const string Drawer =
        "mud-drawer mud-drawer-fixed mud-drawer-pos-left mud-drawer--open mud-drawer-md mud-drawer-clipped-always mud-elevation-1 mud-drawer-responsive";

    public const string DrawerContent = "mud-drawer-content";

    /// <summary>MudNavMenu's root.</summary>
    public const string NavMenu = "mud-navmenu mud-navmenu-default mud-navmenu-margin-none";

    /// <summary>A MudNavLink: its wrapper, the link (active for the page shown), its icon and its text.</summary>
    public const string NavItem = "mud-nav-item";

    public static string NavLink(bool active) => active ? "mud-nav-link mud-ripple active" : "mud-nav-link mud-ripple";

    public const string NavLinkIcon = "mud-nav-link-icon mud-nav-link-icon-default";

    public const string NavLinkText = "mud-nav-link-text";

    /// <summary>The scrim MudDrawer lays over the page while it is open on a narrow screen.</summary>
    public const string DrawerOverlay = "mud-overlay mud-overlay-drawer";

    public const string OverlayScrim = "mud-overlay-scrim mud-overlay-dark";

    private static string Name(Variant variant) => variant.ToString().ToLowerInvariant();

    private static string Name(Color color) => color.ToString().ToLowerInvariant();

    private static string Name(Size size) => size.ToString().ToLowerInvariant();
}
