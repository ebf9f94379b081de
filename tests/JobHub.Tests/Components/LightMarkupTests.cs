using AngleSharp.Dom;
using Bunit;
using JobHub.Web.Components.Layout;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace JobHub.Tests.Components;

/// <summary>
/// The look-alike controls (<see cref="Light"/>) against the MudBlazor components they copy, rendered with bUnit: a
/// MudBlazor upgrade that changes a component's classes fails here instead of quietly changing how a page looks.
/// </summary>
public sealed class LightMarkupTests : IAsyncLifetime
{
    private readonly ComponentContext ui = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await ui.DisposeAsync();

    private static void SameClasses(string light, IElement real) =>
        Assert.Equal(light.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(), real.ClassList.Order());

    /// <summary>A component with its parameters, as markup would write it.</summary>
    private static RenderFragment Component<T>(params (string Name, object? Value)[] parameters) where T : IComponent => builder =>
    {
        builder.OpenComponent<T>(0);
        foreach (var (name, value) in parameters)
        {
            builder.AddAttribute(1, name, value);
        }

        builder.CloseComponent();
    };

    [Theory]
    [InlineData(Variant.Filled, Color.Primary)] // Run, the reconnect dialog's buttons
    [InlineData(Variant.Text, Color.Inherit)] // Sign out
    public void Button_IsMudButtons(Variant variant, Color color)
    {
        var real = ui.Render(Component<MudButton>(("Variant", variant), ("Color", color), ("ChildContent", (RenderFragment)(b => b.AddContent(0, "Run")))));

        SameClasses(Light.Button(variant, color), real.Find("button"));
        SameClasses(Light.ButtonLabel, real.Find("button > span"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the menu button
    public void IconButton_IsMudIconButtons(bool edgeStart)
    {
        var real = ui.Render(Component<MudIconButton>(("Icon", Icons.Material.Filled.Menu), ("Color", Color.Inherit), ("Edge", edgeStart ? Edge.Start : Edge.False)));

        SameClasses(Light.IconButton(edgeStart), real.Find("button"));
        SameClasses(Light.IconButtonLabel, real.Find("button > span"));
        SameClasses(Light.Icon(Size.Medium), real.Find("button > span > svg"));
    }

    [Theory]
    [InlineData(Size.Small, Color.Inherit)]
    [InlineData(Size.Medium, Color.Inherit)]
    [InlineData(Size.Large, Color.Inherit)]
    [InlineData(Size.Medium, Color.Default)]
    public void Icon_IsMudIcons(Size size, Color color)
    {
        var real = ui.Render(Component<MudIcon>(("Icon", Icons.Material.Filled.Check), ("Size", size), ("Color", color)));
        var light = ui.Render(Light.Svg(Icons.Material.Filled.Check, size, color: color));

        SameClasses(Light.Icon(size, color), real.Find("svg"));
        SameClasses(Light.Icon(size, color), light.Find("svg"));
        Assert.Equal(real.Find("svg").GetAttribute("viewBox"), light.Find("svg").GetAttribute("viewBox"));
    }

    [Fact]
    public void Chips_AreMudChipSetsOutlinedPrimaryChips_TheSelectedOneWithItsCheck()
    {
        RenderFragment chips = builder =>
        {
            foreach (var value in new[] { "a", "b" })
            {
                builder.OpenComponent<MudChip<string>>(0);
                builder.AddAttribute(1, "Value", value);
                builder.AddAttribute(2, "Text", value);
                builder.AddAttribute(3, "Variant", Variant.Outlined);
                builder.AddAttribute(4, "Color", Color.Primary);
                builder.CloseComponent();
            }
        };
        var real = ui.Render(Component<MudChipSet<string>>(("SelectedValue", "a"), ("CheckMark", true), ("ChildContent", chips)));

        SameClasses(Light.ChipSet, real.Find("div"));
        var containers = real.FindAll($".{Light.ChipSet} > div");
        Assert.All(containers, container => SameClasses(Light.ChipContainer, container));
        SameClasses(Light.Chip(selected: true), containers[0].Children[0]);
        SameClasses(Light.Chip(selected: false), containers[1].Children[0]);
        SameClasses($"{Light.Icon(Size.Small)} {Light.ChipIcon}", containers[0].QuerySelector("svg")!);
        Assert.Null(containers[1].QuerySelector("svg"));
        SameClasses(Light.ChipContent, containers[0].QuerySelector("span")!);
    }

    [Fact]
    public void OutlinedPaper_IsMudPapers()
    {
        var real = ui.Render(Component<MudPaper>(("Outlined", true), ("Elevation", 0)));

        SameClasses(Light.OutlinedPaper, real.Find("div"));
    }

    [Theory]
    [InlineData(Typo.body1)]
    [InlineData(Typo.caption)]
    [InlineData(Typo.h6)]
    public void Text_IsMudTexts(Typo typo)
    {
        var real = ui.Render(Component<MudText>(("Typo", typo), ("ChildContent", (RenderFragment)(b => b.AddContent(0, "text")))));

        SameClasses(Light.Text(typo), real.Nodes.OfType<IElement>().Single());
    }

    [Fact]
    public void NavLinks_AreMudNavMenusLinks()
    {
        RenderFragment links = builder =>
        {
            builder.OpenComponent<MudNavLink>(0);
            builder.AddAttribute(1, "Href", "/elsewhere");
            builder.AddAttribute(2, "Icon", Icons.Material.Filled.History);
            builder.AddAttribute(3, "ChildContent", (RenderFragment)(b => b.AddContent(0, "History")));
            builder.CloseComponent();
        };
        var real = ui.Render(Component<MudNavMenu>(("ChildContent", links)));

        SameClasses(Light.NavMenu, real.Find("nav"));
        SameClasses(Light.NavItem, real.Find("nav > div"));
        SameClasses(Light.NavLink(active: false), real.Find("nav > div > a"));
        SameClasses($"{Light.Icon(Size.Medium, Color.Default)} {Light.NavLinkIcon}", real.Find("nav > div > a > svg"));
        SameClasses(Light.NavLinkText, real.Find("nav > div > a > div"));
    }

    [Fact]
    public void Drawer_IsAnOpenResponsiveMudDrawer_ClippedUnderTheAppBar()
    {
        var drawer = Component<MudDrawer>(("Open", true), ("Variant", DrawerVariant.Responsive), ("ClipMode", DrawerClipMode.Always),
            ("Breakpoint", Breakpoint.Md), ("Elevation", 1), ("ChildContent", (RenderFragment)(b => b.AddContent(0, "links"))));
        var real = ui.Render(Component<MudLayout>(("ChildContent", drawer)));

        // Before the browser reports its width MudDrawer also marks itself "--initial"; JobHub's drawer is sized by CSS alone.
        SameClasses(Light.Drawer + " mud-drawer--initial", real.Find("aside"));
        SameClasses(Light.DrawerContent, real.Find("aside > div"));
    }

    [Fact]
    public void TheDrawersScrim_IsMudOverlaysDarkScrim()
    {
        var provider = ui.Render<MudPopoverProvider>(); // where MudBlazor renders an overlay
        ui.Render(Component<MudOverlay>(("Visible", true), ("DarkBackground", true), ("Class", "mud-overlay-drawer")));

        provider.WaitForAssertion(() => SameClasses(Light.DrawerOverlay, provider.Find(".mud-overlay")));
        SameClasses(Light.OverlayScrim, provider.Find(".mud-overlay > div"));
    }
}
