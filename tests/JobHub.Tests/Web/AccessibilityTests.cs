using System.Text.Json;
using JobHub.Tests.Admin;
using JobHub.Tests.Infrastructure;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>
/// axe-core on every page, as each role that sees it, in both languages and both palettes, with rows in the lists: no
/// critical or serious violation, one main landmark with all content in landmarks, one h1 and no skipped heading level.
/// A failure lists each rule, its impact and the elements it found.
/// </summary>
public sealed class AccessibilityTests(AdminRowsFixture fixture) : IClassFixture<AdminRowsFixture>
{
    /// <summary>Sign-in, sign-up, the other account forms and the status pages (an admin page refused) are static: no circuit to wait for.</summary>
    private static readonly string[] StaticPages = ["/account/", "/status/", "/no-such-page"];

    public static TheoryData<string, string> Pages()
    {
        var data = new TheoryData<string, string>
        {
            { "anonymous", "/" },
            { "anonymous", "/account/login" },
            { "anonymous", "/account/register" },
            { "anonymous", "/account/forgot" },
            { "anonymous", "/account/reset?user=x&token=y" },
            { "anonymous", "/account/confirm?user=00000000-0000-0000-0000-000000000001&token=eHl6" },
            { "anonymous", "/no-such-page" },
            { "anonymous", "/status/403" },
            { "user", "/" },
            { "user", "/tools/image-upscaler" },
            { "user", "/tools/video-upscaler" },
            { "user", "/tools/pose-changer" },
            { "user", "/tools/virtual-try-on" },
            { "user", "/jobs/{completed}" },
            { "user", "/jobs/{failed}" },
            { "user", "/history" },
            { "user", "/account" },
            { "user", "/account/password" },
            { "user", "/account/confirm-email" },
            { "user", "/admin" },
        };
        foreach (var page in AdminPagesWithRowsTests.AdminPages)
        {
            data.Add("admin", "/" + page.Path);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_HasNoSeriousAccessibilityViolation_InEitherLanguageOrPalette(string role, string path)
    {
        var url = path.Replace("{failed}", fixture.FailedJob.ToString()).Replace("{completed}", fixture.CompletedJob.ToString())
            .Replace("{demo}", fixture.DemoUser.ToString());
        var rows = AdminPagesWithRowsTests.AdminPages.SingleOrDefault(p => role == "admin" && "/" + p.Path == path);
        var (context, page) = await fixture.PageAsync(role, "pt-BR", 1280, bypassCsp: true);
        await using var _ = context;
        var found = new List<string>();
        foreach (var culture in new[] { "pt-BR", "en" })
        {
            foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
            {
                // The palette follows the system's when the person chose none; the language switch lands on the page.
                await page.EmulateMediaAsync(new() { ColorScheme = scheme });
                if (scheme == ColorScheme.Light)
                {
                    await page.GotoAsync(new Uri(fixture.Hub.BaseAddress, $"account/culture?culture={culture}&returnUrl={Uri.EscapeDataString(url)}").ToString());
                }
                else
                {
                    await page.ReloadAsync();
                }

                if (!StaticPages.Any(path.StartsWith) && !(role != "admin" && path.StartsWith("/admin", StringComparison.Ordinal)))
                {
                    await BrowserPages.WaitForCircuitAsync(page);
                }

                Assert.Equal(culture, await page.Locator("html").GetAttributeAsync("lang"));
                if (rows.Rows is { Length: > 0 })
                {
                    if (rows.Click.Length > 0)
                    {
                        await page.Locator(rows.Click).ClickAsync();
                    }

                    foreach (var list in rows.Rows.Split(", "))
                    {
                        await Assertions.Expect(page.Locator(list).First).ToBeVisibleAsync();
                    }
                }

                var blocking = (await Axe.RunAsync(page)).Where(v => v.Blocks).ToList();
                if (blocking.Count > 0)
                {
                    found.Add($"{path} as {role}, {culture}, {scheme}:\n{Axe.Describe(blocking)}");
                    var name = $"axe-{role}-{culture}-{scheme}-{string.Join('-', path.Split('/', '?', '&', '=', '{', '}'))}";
                    await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, name + "-failed.png"), FullPage = true });
                }
            }
        }

        Assert.True(found.Count == 0, "axe-core found:\n" + string.Join("\n", found));
    }

    [Theory]
    [InlineData("anonymous", "/account/register", "main a[href='/account/login']")]
    [InlineData("anonymous", "/account/login", "#to-register")]
    [InlineData("anonymous", "/status/404", "#status-page a")]
    [InlineData("user", "/history", "#jobs .job-link")]
    [InlineData("admin", "/admin/jobs", "#job-list tbody a")]
    public async Task EveryLinkInAPage_LooksLikeALink(string role, string path, string shown)
    {
        var (context, page) = await fixture.PageAsync(role, "pt-BR", 1280);
        await using var _ = context;
        await page.GotoAsync(new Uri(fixture.Hub.BaseAddress, path.TrimStart('/')).ToString());
        await Assertions.Expect(page.Locator(shown).First).ToBeVisibleAsync();

        // Links drawn as buttons, cards, tabs or MudLinks have their own look; the others are coloured and underlined.
        var links = await page.EvaluateAsync<string[][]>("""
            () => [...document.querySelectorAll('main a')]
              .filter(a => !a.closest('.jobhub-admin-nav') && !a.matches('.mud-button-root, .mud-link, .jobhub-download, .jobhub-tool-card, .jobhub-active-link, .result-link'))
              .map(a => [a.textContent.trim(), getComputedStyle(a).textDecorationLine, getComputedStyle(a).color, getComputedStyle(a.parentElement).color])
            """);

        Assert.NotEmpty(links);
        Assert.All(links, link =>
        {
            Assert.True(link[1].Contains("underline"), $"'{link[0]}' on {path} is not underlined ({link[1]})");
            Assert.True(link[2] != link[3], $"'{link[0]}' on {path} has the colour of the text around it ({link[2]})");
        });
    }

    [Theory]
    [InlineData("pt-BR")]
    [InlineData("en")]
    public async Task SignOut_StaysOnOneLine_InTheAppBarOfAPhone(string culture)
    {
        var (context, page) = await fixture.PageAsync("user", culture, 360);
        await using var _ = context;
        await page.GotoAsync(new Uri(fixture.Hub.BaseAddress, "history").ToString());
        await BrowserPages.WaitForCircuitAsync(page);

        var label = page.Locator("#logout .mud-button-label");
        await Assertions.Expect(label).ToBeVisibleAsync();
        var lines = await label.EvaluateAsync<int>("l => { const r = document.createRange(); r.selectNodeContents(l); return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size; }");
        Assert.Equal(1, lines);
        var box = (await page.Locator("#logout").BoundingBoxAsync())!;
        Assert.True(box.X + box.Width <= 360, $"Sign out ends at {box.X + box.Width:0} px on a 360 px phone");
        Assert.True(await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth") <= 360);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, $"appbar-360-{culture}.png") });
    }

    [Theory]
    [InlineData("pt-BR", "Imagens de até 1536 px no lado maior vão ao RunningHub como estão")]
    [InlineData("en", "Images up to 1536 px on the longer side go to RunningHub as they are")]
    public async Task TheUpscalersScaleNote_SaysWhichImagesGoAsTheyAre(string culture, string text)
    {
        var (context, page) = await fixture.PageAsync("user", culture, 1280);
        await using var _ = context;
        await page.GotoAsync(new Uri(fixture.Hub.BaseAddress, "tools/image-upscaler").ToString());

        await Assertions.Expect(page.Locator("#scale-note-image")).ToContainTextAsync(text);
    }

    [Fact]
    public async Task TheCopyButtonBesideAJobId_IsAnIconTheBrowserDraws()
    {
        var (context, page) = await fixture.PageAsync("admin", "pt-BR", 1280);
        await using var _ = context;
        await page.GotoAsync(new Uri(fixture.Hub.BaseAddress, "admin/jobs").ToString());
        await BrowserPages.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("#job-list .jobhub-copy svg path").First).ToBeVisibleAsync();

        // Measured in one step: the list is drawn again as the jobs in it change.
        var drawn = await page.EvaluateAsync<JsonElement>("""
            () => {
              const button = document.querySelector('#job-list .jobhub-copy');
              const box = button.querySelector('svg path').getBoundingClientRect();
              return { width: box.width, height: box.height, text: button.textContent.trim() };
            }
            """);
        var (width, height) = (drawn.GetProperty("width").GetDouble(), drawn.GetProperty("height").GetDouble());
        Assert.True(width >= 10 && height >= 10, $"the copy icon is drawn {width:0}×{height:0} px");
        Assert.Equal("", drawn.GetProperty("text").GetString());
    }
}
