using Bunit;
using JobHub.Web.Components.Layout;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Components;

/// <summary>The app's frame (bUnit): app bar, navigation drawer by role, sign-in links, the remembered palette.</summary>
public sealed class MainLayoutTests : IAsyncLifetime
{
    private readonly ComponentContext ui = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await ui.DisposeAsync();

    private static readonly RenderFragment Page = builder => builder.AddMarkupContent(0, "<h1 id=\"page\">page</h1>");

    private IRenderedComponent<MainLayout> RenderLayout() => ui.Render<MainLayout>(ps => ps.Add(p => p.Body, Page));

    [Fact]
    public void AnAdmin_HasToolsHistoryAndAdmin_InTheDrawer()
    {
        ui.AddAuthorization().SetAuthorized("ana@example.com").SetRoles("admin");

        var cut = RenderLayout();

        Assert.NotNull(cut.Find("#nav-drawer #nav-tools"));
        Assert.NotNull(cut.Find("#nav-drawer #nav-history"));
        Assert.NotNull(cut.Find("#nav-drawer #nav-admin"));
        Assert.Equal("ana@example.com", cut.Find("#signed-in-as").TextContent);
        Assert.Equal(FixedAntiforgery.Token, cut.Find("form[action='/account/logout'] input[name='__RequestVerificationToken']").GetAttribute("value"));
        Assert.NotNull(cut.Find("#page"));
    }

    [Fact]
    public void APerson_WithoutTheAdminRole_HasNoAdminLink()
    {
        ui.AddAuthorization().SetAuthorized("bia@example.com");

        var cut = RenderLayout();

        Assert.NotNull(cut.Find("#nav-history"));
        Assert.Empty(cut.FindAll("#nav-admin"));
    }

    [Fact]
    public void SomeoneSignedOut_GetsSignInAndSignUp_AndNoDrawer()
    {
        ui.AddAuthorization();

        var cut = RenderLayout();

        Assert.Equal("/account/login", cut.Find("a#nav-login").GetAttribute("href"));
        Assert.Equal("/account/register", cut.Find("a#nav-register").GetAttribute("href"));
        Assert.Empty(cut.FindAll("#nav-drawer"));
        Assert.Empty(cut.FindAll("#logout"));
    }

    [Fact]
    public void TheDrawer_MarksThePageShown_AndOnlyIt()
    {
        ui.AddAuthorization().SetAuthorized("ana@example.com").SetRoles("admin");
        ui.Services.GetRequiredService<NavigationManager>().NavigateTo("/admin/jobs?status=failed");

        var cut = RenderLayout();

        Assert.Contains("active", cut.Find("#nav-admin").ClassList);
        Assert.Equal("page", cut.Find("#nav-admin").GetAttribute("aria-current"));
        Assert.DoesNotContain("active", cut.Find("#nav-tools").ClassList);
        Assert.DoesNotContain("active", cut.Find("#nav-history").ClassList);
        Assert.Null(cut.Find("#nav-tools").GetAttribute("aria-current"));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/tools/image-upscaler")]
    public void TheToolsAndEachToolPage_MarkOnlyTools(string page)
    {
        ui.AddAuthorization().SetAuthorized("bia@example.com");
        ui.Services.GetRequiredService<NavigationManager>().NavigateTo(page);

        var cut = RenderLayout();

        Assert.Contains("active", cut.Find("#nav-tools").ClassList);
        Assert.DoesNotContain("active", cut.Find("#nav-history").ClassList);
    }

    [Fact]
    public void TheSwitches_WorkInTheBrowser_AndNameWhatTheyDo()
    {
        ui.AddAuthorization().SetAuthorized("bia@example.com");

        var cut = RenderLayout();

        // Drawn by the server once; the browser (app.js) opens the drawer and switches the palette without a round trip.
        var menu = cut.Find("#nav-toggle");
        Assert.True(menu.HasAttribute("data-nav-toggle"));
        Assert.Equal("nav-drawer", menu.GetAttribute("aria-controls"));
        Assert.Equal("Menu", menu.GetAttribute("aria-label"));
        var palette = cut.Find("#theme-toggle");
        Assert.True(palette.HasAttribute("data-theme-toggle"));
        Assert.Equal("Dark theme", palette.GetAttribute("data-label-dark"));
        Assert.Equal("Light theme", palette.GetAttribute("data-label-light"));
    }
}
