using Bunit;
using JobHub.Web.Components.Layout;
using Microsoft.AspNetCore.Components;

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
    public void ThePalette_StartsAsTheBrowserRemembers_AndTheToggleRemembersTheNewChoice()
    {
        ui.AddAuthorization();
        ui.JSInterop.Setup<bool>("jobhub.theme.isDark").SetResult(true);
        var remembered = ui.JSInterop.SetupVoid("jobhub.theme.remember", _ => true);

        var cut = RenderLayout();
        cut.WaitForAssertion(() => Assert.Contains("Light", cut.Find("#theme-toggle").GetAttribute("aria-label")));

        cut.Find("#theme-toggle").Click();

        Assert.Equal(false, remembered.Invocations.Single().Arguments[0]);
        Assert.Contains("Dark", cut.Find("#theme-toggle").GetAttribute("aria-label"));
    }
}
