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
    /// <summary>Sign-in, sign-up and the other account forms are static pages: no circuit to wait for.</summary>
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
        var rows = AdminPagesWithRowsTests.AdminPages.SingleOrDefault(p => "/" + p.Path == path);
        var (context, page) = await fixture.PageAsync(role, "pt-BR", 1280, bypassCsp: true);
        await using var _ = context;
        var found = new List<string>();
        foreach (var culture in new[] { "pt-BR", "en" })
        {
            await page.GotoAsync(new Uri(fixture.Hub.BaseAddress, $"account/culture?culture={culture}&returnUrl={Uri.EscapeDataString(url)}").ToString());
            foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
            {
                await page.EmulateMediaAsync(new() { ColorScheme = scheme });
                await page.GotoAsync(new Uri(fixture.Hub.BaseAddress, url.TrimStart('/')).ToString());
                if (!StaticPages.Any(path.StartsWith))
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
}
