using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Core.Tools;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>
/// What a person sees in Chromium, against JobHub on Kestrel with its simulator, on each tool: sign in, upload, the live
/// states, the result or RunningHub's error with the credits back, cancel, a lost webhook, a double click, a second tab.
/// A failing test leaves a screenshot in the test output's <c>screenshots</c> folder.
/// </summary>
public sealed class ToolPageBrowserTests
{
    public static readonly TheoryData<string> Tools = new() { "image-upscaler", "video-upscaler", "pose-changer", "virtual-try-on" };

    private static readonly SimulatorSettings Quick = new() { QueuedFor = TimeSpan.FromMilliseconds(200), RunFor = TimeSpan.FromMilliseconds(1500) };

    private static Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["JobHub:SeedDemoUsers"] = "true" };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    private static Task<IPage> SignedInPageAsync(LiveJobHub hub, IBrowserContext context) =>
        BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);

    private static async Task OpenToolAsync(LiveJobHub hub, IPage page, string tool)
    {
        await page.GotoAsync(new Uri(hub.BaseAddress, $"tools/{tool}").ToString());
        await BrowserPages.WaitForCircuitAsync(page);
    }

    private static async Task PickInputsAsync(LiveJobHub hub, IPage page, string toolKey)
    {
        var tool = hub.Services.GetRequiredService<ToolCatalog>().Find(toolKey)!;
        var shade = 0;
        foreach (var input in tool.Inputs)
        {
            var payload = input.Kind == InputKinds.Video
                ? new FilePayload { Name = $"{input.Key}.mp4", MimeType = "video/mp4", Buffer = SampleMedia.Mp4(320, 240, 2) }
                : new FilePayload { Name = $"{input.Key}.png", MimeType = "image/png", Buffer = SampleMedia.Png(320, 240, ++shade) };
            await page.Locator($"#input-{input.Key}").SetInputFilesAsync(payload);
        }
    }

    /// <summary>Chooses a value of a choice parameter: its chip.</summary>
    private static async Task ChooseAsync(IPage page, string parameter, string value)
    {
        await page.ClickAsync($"#param-{parameter} [data-value='{value}']");
        await Assertions.Expect(page.Locator($"#param-{parameter} [data-value='{value}']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-chip-selected"));
    }

    private static Task ExpectStatusAsync(IPage page, string status, float timeout = 30000) =>
        Assertions.Expect(page.Locator("#job")).ToHaveAttributeAsync("data-status", status, new() { Timeout = timeout });

    private static async Task<Guid> DemoUserAsync(LiveJobHub hub) =>
        await hub.ScalarAsync<Guid>($"SELECT id FROM users WHERE normalized_email = upper({DemoAccounts.UserEmail})");

    /// <summary>Runs the scenario; on failure keeps a screenshot of every open page, named after the test and the tool.</summary>
    private static async Task WithBrowserAsync(string name, Func<IBrowserContext, Task> scenario)
    {
        var browser = await Browser.GetAsync();
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 900 } });
        try
        {
            await scenario(context);
        }
        catch
        {
            var i = 0;
            foreach (var page in context.Pages)
            {
                await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, $"{name}-{i++}.png"), FullPage = true });
            }

            throw;
        }
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task Run_GoesThroughItsStates_AndShowsTheResult(string tool)
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(new() { ["JobHub:MaxConcurrent"] = "1" }), Quick with { RunFor = TimeSpan.FromSeconds(3) });
        await WithBrowserAsync($"result-{tool}", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, tool);
            await PickInputsAsync(hub, page, tool);
            await hub.SubmitAsync(await hub.CreateUserAsync()); // someone else's job holds the only slot for a moment
            await page.ClickAsync("#run");

            await ExpectStatusAsync(page, JobStatus.Queued);
            await Assertions.Expect(page.Locator("#job-status")).ToContainTextAsync("1");
            await ExpectStatusAsync(page, JobStatus.Running);
            await Assertions.Expect(page.Locator("#check-now")).ToBeVisibleAsync();
            await ExpectStatusAsync(page, JobStatus.Completed);
            var media = tool == "video-upscaler" ? page.Locator("#result-video-0") : page.Locator("#result img").Last;
            await Assertions.Expect(media).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#download-0")).ToBeVisibleAsync();
            var jobId = Guid.Parse((await page.Locator("#job").GetAttributeAsync("data-job"))!);
            var events = await hub.QueryAsync<string>($"SELECT to_status FROM job_events WHERE job_id = {jobId} AND kind = 'transition' ORDER BY id");
            Assert.Equal([JobStatus.Queued, JobStatus.Starting, JobStatus.Running, JobStatus.Completed], events);
            if (tool == "pose-changer")
            {
                await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "tool-page-result.png") });
            }

            // The copied result is served to its owner.
            var copied = await hub.WaitForJobAsync(jobId, j => j.OutputsCopiedAt is not null, TimeSpan.FromSeconds(30));
            Assert.True(copied.OutputsCopiedAt is not null, $"not copied: {copied.Outputs} {copied.OutputCopyError} attempts {copied.OutputCopyAttempts}");
            await Assertions.Expect(page.Locator("#copying")).ToHaveCountAsync(0, new() { Timeout = 20000 });
            var download = await page.APIRequest.GetAsync(new Uri(hub.BaseAddress, $"files/jobs/{jobId}/outputs/0").ToString());
            Assert.Equal(200, download.Status);
        });
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task FailedTask_ShowsRunningHubsMessage_AndTheCreditsComeBack(string tool)
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Quick with { FailureRate = 1, FailureMessage = $"node 12 ran out of VRAM on {tool}" });
        await WithBrowserAsync($"failure-{tool}", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, tool);
            await PickInputsAsync(hub, page, tool);
            await page.ClickAsync("#run");

            await ExpectStatusAsync(page, JobStatus.Failed);
            await Assertions.Expect(page.Locator("#job-error")).ToContainTextAsync($"node 12 ran out of VRAM on {tool}");
            await Assertions.Expect(page.Locator("#refund-note")).ToBeVisibleAsync();
            Assert.Equal(20, await hub.BalanceAsync(await DemoUserAsync(hub)));

            await page.ClickAsync("#run-again");
            await Assertions.Expect(page.Locator("#run-again-plan")).ToBeVisibleAsync(); // the same files again, or others
            await page.ClickAsync("#run-again-new-files");
            await Assertions.Expect(page.Locator("#run")).ToBeVisibleAsync();
        });
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task QueuedJob_CanBeCancelled_AfterConfirming(string tool)
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(new() { ["JobHub:MaxConcurrent"] = "1" }), Quick with { RunFor = TimeSpan.FromMinutes(5) });
        await hub.SubmitAsync(await hub.CreateUserAsync()); // holds the only slot
        await WithBrowserAsync($"cancel-{tool}", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, tool);
            await PickInputsAsync(hub, page, tool);
            await page.ClickAsync("#run");

            await ExpectStatusAsync(page, JobStatus.Queued);
            await Assertions.Expect(page.Locator("#job-status")).ToContainTextAsync("1");
            await page.ClickAsync("#cancel");
            await Assertions.Expect(page.Locator(".mud-dialog #confirm-question")).ToBeVisibleAsync();
            await page.ClickAsync("#confirm-yes");

            await ExpectStatusAsync(page, JobStatus.Cancelled);
            Assert.Equal(20, await hub.BalanceAsync(await DemoUserAsync(hub)));
        });
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task LostWebhook_IsResolvedOnThePage_WithoutAReload(string tool)
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(new()
        {
            ["JobHub:Maintenance:Enabled"] = "true",
            ["JobHub:Maintenance:DefaultInterval"] = "00:00:01",
            ["JobHub:Maintenance:RecheckAfter"] = "00:00:00.500",
            [$"JobHub:Tools:{tool}:ReconcileAfter"] = "00:00:02",
        }), Quick with { WebhookLostRate = 1 });
        await WithBrowserAsync($"lost-webhook-{tool}", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, tool);
            await PickInputsAsync(hub, page, tool);
            var navigations = 0;
            page.FrameNavigated += (_, frame) => { if (frame == page.MainFrame) navigations++; };
            await page.ClickAsync("#run");

            await ExpectStatusAsync(page, JobStatus.Completed);
            Assert.Equal(0, navigations);
            Assert.Equal(0, hub.Simulator.WebhooksSent);
        });
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task DoubleClick_MakesOneJob(string tool)
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Quick with { RunFor = TimeSpan.FromMinutes(5) });
        await WithBrowserAsync($"double-click-{tool}", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, tool);
            await PickInputsAsync(hub, page, tool);
            await page.DblClickAsync("#run");
            await page.Locator("#tool-form").DispatchEventAsync("submit").ContinueWith(_ => { }); // Enter on the form, as well (may find it gone)

            await ExpectStatusAsync(page, JobStatus.Running);
            Assert.Equal(1, await hub.ScalarAsync<int>($"SELECT count(*)::int FROM jobs"));
            Assert.Equal(1, await hub.ScalarAsync<int>($"SELECT count(*)::int FROM credit_ledger WHERE kind = 'debit'"));
            await Assertions.Expect(page.Locator("#runner-error")).ToHaveCountAsync(0);
        });
    }

    [Theory]
    [MemberData(nameof(Tools))]
    public async Task SecondTab_SeesTheActiveJob_OnAnyToolPage(string tool)
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Quick with { RunFor = TimeSpan.FromSeconds(6) });
        await WithBrowserAsync($"second-tab-{tool}", async context =>
        {
            var first = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, first, tool);
            await PickInputsAsync(hub, first, tool);
            await first.ClickAsync("#run");
            await ExpectStatusAsync(first, JobStatus.Running);

            var second = await context.NewPageAsync();
            var other = tool == "pose-changer" ? "virtual-try-on" : "pose-changer";
            await OpenToolAsync(hub, second, other);
            await Assertions.Expect(second.Locator("#other-tool-job")).ToBeVisibleAsync();
            await ExpectStatusAsync(second, JobStatus.Running);
            await Assertions.Expect(second.Locator("#run")).ToHaveCountAsync(0);

            var third = await context.NewPageAsync();
            await OpenToolAsync(hub, third, tool);
            await ExpectStatusAsync(third, JobStatus.Running);

            // Both tabs follow the job to its end; the tab of another tool then offers its own form again.
            await ExpectStatusAsync(first, JobStatus.Completed);
            await ExpectStatusAsync(third, JobStatus.Completed);
            await Assertions.Expect(second.Locator("#run")).ToBeVisibleAsync(new() { Timeout = 15000 });
            await Assertions.Expect(second.Locator("#other-tool-job")).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task ChosenAndPastedImages_ArePreviewed_OneTooLargeIsRefusedBeforeUpload_TheEndIsAnnounced_AndTheResultZoomsToSix()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Quick);
        await WithBrowserAsync("preview-paste-zoom", async context =>
        {
            // The browser's notifications, recorded; the page is out of view when the job ends (another tab in front).
            await context.AddInitScriptAsync("""
                window.__notices = [];
                window.Notification = class { constructor(title, options) { window.__notices.push(title + ' | ' + options.body); }
                    static get permission() { return 'granted'; } static requestPermission() { return Promise.resolve('granted'); } };
                """);
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, "pose-changer");

            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "wide.png", MimeType = "image/png", Buffer = SampleMedia.Png(9000, 8) });
            await Assertions.Expect(page.Locator("#input-error-person")).ToContainTextAsync("9000×8");
            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "person.png", MimeType = "image/png", Buffer = SampleMedia.Png(320, 240, 1) });
            await Assertions.Expect(page.Locator("#preview-person")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#facts-person")).ToContainTextAsync("320 × 240 px");
            await Assertions.Expect(page.Locator("#input-error-person")).ToHaveCountAsync(0);

            // An image pasted anywhere on the page goes to the first image input still empty: the pose.
            await page.EvaluateAsync("""
                async base64 => {
                    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
                    const pasted = new DataTransfer();
                    pasted.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
                    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true }));
                }
                """, Convert.ToBase64String(SampleMedia.Png(64, 48, 2)));
            await Assertions.Expect(page.Locator("#facts-pose")).ToContainTextAsync("64 × 48 px");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "tool-page-form.png") });

            await page.ClickAsync("#run");
            await ExpectStatusAsync(page, JobStatus.Running);
            await page.EvaluateAsync("() => Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' })");
            await ExpectStatusAsync(page, JobStatus.Completed);
            await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("seu trabalho terminou"); // the page is in Portuguese (the default)
            Assert.Contains("seu trabalho terminou", await page.EvaluateAsync<string>("() => window.__notices.join('\\n')"));
            await Assertions.Expect(page.Locator("#timeline [data-state=completed]")).ToHaveClassAsync("jobhub-timeline-current");

            var stage = page.Locator("#compare-box .jobhub-compare-stage");
            for (var i = 0; i < 7; i++)
            {
                await page.ClickAsync("#zoom-in");
            }

            await Assertions.Expect(page.Locator("#zoom-level")).ToHaveTextAsync("6×");
            Assert.StartsWith("matrix(6, 0, 0, 6,", await stage.EvaluateAsync<string>("e => getComputedStyle(e).transform"));
            await page.ClickAsync("#zoom-reset");
            await Assertions.Expect(page.Locator("#zoom-level")).ToHaveTextAsync("1×");
        });
    }

    private static byte[] SolidPng(int width, int height, SkiaSharp.SKColor color)
    {
        using var bitmap = new SkiaSharp.SKBitmap(width, height);
        bitmap.Erase(color);
        using var encoded = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }

    /// <summary>The slider and the server's split (the style it renders) both at <paramref name="percent"/>, give or take a pixel's rounding.</summary>
    private static async Task ExpectSplitAsync(IPage page, int percent)
    {
        await page.WaitForFunctionAsync("""
            percent => {
                const slider = Number(document.querySelector('input#compare-slider').value);
                return Math.abs(slider - percent) <= 1 && document.querySelector('#compare').getAttribute('style') === `--split: ${slider}%`;
            }
            """, percent);
    }

    [Fact]
    public async Task TheComparison_ShowsNoBeforeBesideAnAfterOfAnotherShape_AndADragAtOneTimesMovesTheDivider()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Quick with { RunFor = TimeSpan.FromSeconds(3) });
        await WithBrowserAsync("compare-shape-drag", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, "pose-changer");
            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "person.png", MimeType = "image/png", Buffer = SolidPng(320, 240, SkiaSharp.SKColors.Red) });
            await page.Locator("#input-pose").SetInputFilesAsync(new FilePayload { Name = "pose.png", MimeType = "image/png", Buffer = SampleMedia.Png(320, 240, 2) });
            await page.ClickAsync("#run");
            await ExpectStatusAsync(page, JobStatus.Running);
            // RunningHub answers with a result four times as wide as it is tall: the before image is 4 by 3.
            var task = Assert.Single(hub.Simulator.Tasks);
            task.OutputName = hub.Simulator.StoreFile(SolidPng(400, 100, SkiaSharp.SKColors.Lime), ".png");
            await ExpectStatusAsync(page, JobStatus.Completed);
            await Assertions.Expect(page.Locator("#copying")).ToHaveCountAsync(0, new() { Timeout = 20000 });
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#compare img')].every(i => i.complete && i.naturalWidth > 0)");

            var stage = page.Locator("#compare-box .jobhub-compare-stage");
            using (var shot = SkiaSharp.SKBitmap.Decode(await stage.ScreenshotAsync()))
            {
                var middle = shot.Width / 2;
                static bool Red(SkiaSharp.SKColor c) => c.Red > 200 && c.Green < 80 && c.Blue < 80;
                var redBeyond = Enumerable.Range(middle + 3, shot.Width - middle - 3)
                    .SelectMany(x => Enumerable.Range(0, shot.Height).Where(y => Red(shot.GetPixel(x, y))).Select(y => (x, y))).ToList();
                Assert.True(redBeyond.Count == 0, $"the before image shows right of the divider at {string.Join(", ", redBeyond.Take(5))}");
                Assert.True(Red(shot.GetPixel(middle / 2, shot.Height / 2)), "the before image is shown left of the divider");
                Assert.True(Red(shot.GetPixel(middle / 2, 2)), "the before image fills the box");
                var after = shot.GetPixel(middle + middle / 2, shot.Height / 2);
                Assert.True(after.Green > 200 && after.Red < 80, $"the after image is shown right of the divider ({after})");
            }

            // At 1×, a drag on the image moves the divider: with the mouse, then with a finger.
            var box = (await stage.BoundingBoxAsync())!;
            await page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(box.X + box.Width / 4, box.Y + box.Height / 2, new() { Steps = 5 });
            await page.Mouse.UpAsync();
            await ExpectSplitAsync(page, 25);

            var touch = await context.NewCDPSessionAsync(page);
            foreach (var (type, x) in new[] { ("touchStart", 0.3), ("touchMove", 0.5), ("touchMove", 0.8), ("touchEnd", 0.8) })
            {
                await touch.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object>
                {
                    ["type"] = type,
                    ["touchPoints"] = type == "touchEnd" ? Array.Empty<object>() : new object[] { new Dictionary<string, object> { ["x"] = box.X + box.Width * x, ["y"] = box.Y + box.Height / 2 } },
                });
            }

            await ExpectSplitAsync(page, 80);
            Assert.Equal("1", await page.EvaluateAsync<string>("() => document.querySelector('#compare-box').dataset.zoom ?? '1'")); // the divider moved, not the view
        });
    }

    /// <summary>
    /// WCAG's contrast ratio of each element's text against the first background behind it (AA: at least 4.5 to 1), in
    /// the browser; answers the elements that fall short.
    /// </summary>
    private const string LowContrast = """
        selectors => {
            const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
            const luminance = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
            const background = element => {
                for (let e = element; e; e = e.parentElement) {
                    const c = rgb(getComputedStyle(e).backgroundColor);
                    if (c.length >= 3 && (c.length === 3 || c[3] > 0.5)) return c;
                }
                return [255, 255, 255];
            };
            const failing = [];
            for (const selector of selectors) {
                for (const element of document.querySelectorAll(selector)) {
                    if (!element.textContent.trim() || element.offsetParent === null) continue;
                    const [r, g, b, a = 1] = rgb(getComputedStyle(element).color);
                    const behind = background(element);
                    const text = [r, g, b].map((v, i) => v * a + behind[i] * (1 - a));
                    const [light, dark] = [luminance(text), luminance(behind)].sort((x, y) => y - x);
                    const ratio = (light + 0.05) / (dark + 0.05);
                    if (ratio < 4.5) failing.push(`${selector} "${element.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
                }
            }
            return failing;
        }
        """;

    [Fact]
    public async Task TheToolForm_WorksWithTheKeyboard_AndItsTextsMeetAAContrast_InBothPalettes()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Quick);
        await WithBrowserAsync("keyboard-contrast", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, "image-upscaler");

            // A choice is a chip reached with Tab and chosen with Enter; a number moves with the arrow keys.
            await page.FocusAsync("#param-version [data-value='standard']");
            await page.Keyboard.PressAsync("Tab");
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page.Locator("#param-version [data-value='pro']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-chip-selected"));
            await page.FocusAsync("#param-detail");
            await page.Keyboard.PressAsync("ArrowRight");
            await Assertions.Expect(page.Locator("#value-detail")).ToHaveTextAsync("0,16"); // in the page's culture (pt-BR)
            await Assertions.Expect(page.Locator("#input-image")).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("."));

            string[] texts = ["h1", "label.jobhub-label", ".jobhub-limits", ".jobhub-drop-prompt", "#cost", "#estimate", ".mud-chip-content", "#run",
                ".mud-appbar a", "#signed-in-as", ".mud-nav-link-text"];
            Assert.Empty(await page.EvaluateAsync<string[]>(LowContrast, texts));
            await page.ClickAsync("#theme-toggle");
            await Assertions.Expect(page.Locator("html")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("jobhub-dark"));
            // The colours change through MudBlazor's transitions (the buttons' 250 ms): measured once none is running.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (await page.EvaluateAsync<int>("() => document.getAnimations().filter(a => a.playState === 'running').length") > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.Empty(await page.EvaluateAsync<string[]>(LowContrast, texts));
        });
    }

    [Fact]
    public async Task UpscalerForm_ShowsEachControlOnlyWhereItsAppTakesIt_WithTheCostAndTheEstimatedTime()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Quick);
        await WithBrowserAsync("upscaler-controls", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, "image-upscaler");
            async Task ExpectFieldsAsync(params string[] shown)
            {
                foreach (var field in new[] { "framing", "resolution", "detail", "editing", "prompt" })
                {
                    await Assertions.Expect(page.Locator($"#param-{field}")).ToHaveCountAsync(shown.Contains(field) ? 1 : 0);
                }
            }

            // Standard close portrait: framing and resolution; the detail level is the app's default, not a control.
            await ExpectFieldsAsync("framing", "resolution");
            await Assertions.Expect(page.Locator("#cost")).ToContainTextAsync("2");
            await Assertions.Expect(page.Locator("#estimate")).ToContainTextAsync("cerca de 2 min");
            await Assertions.Expect(page.Locator("#scale-note-image")).ToContainTextAsync("1536");

            await ChooseAsync(page, "version", "pro");
            await ExpectFieldsAsync("framing", "resolution", "detail", "editing", "prompt");
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "upscaler-form.png"), FullPage = true });
            await Assertions.Expect(page.Locator("#cost")).ToContainTextAsync("4");
            await Assertions.Expect(page.Locator("#estimate")).ToContainTextAsync("cerca de 4 min");
            await Assertions.Expect(page.Locator("#param-detail")).ToHaveAttributeAsync("max", "1");
            await Assertions.Expect(page.Locator("#param-detail")).ToHaveValueAsync("0.15");

            await ChooseAsync(page, "framing", "far");
            await ExpectFieldsAsync("framing", "resolution");

            await ChooseAsync(page, "category", "food");
            await ExpectFieldsAsync("detail");
            await Assertions.Expect(page.Locator("#param-detail")).ToHaveAttributeAsync("min", new System.Text.RegularExpressions.Regex(@"^0\.70?$")); // the slider's own format
            await Assertions.Expect(page.Locator("#param-detail")).ToHaveValueAsync("0.85");

            await ChooseAsync(page, "category", "old_photo");
            await ExpectFieldsAsync();

            await ChooseAsync(page, "category", "logo");
            await ExpectFieldsAsync("detail");
            await ChooseAsync(page, "version", "standard");
            await ExpectFieldsAsync();
        });
    }

    [Fact]
    public async Task QueuePosition_MovesAtOnce_WhenSomeoneAheadLeaves()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(new() { ["JobHub:MaxConcurrent"] = "1" }), Quick with { RunFor = TimeSpan.FromMinutes(5) });
        await hub.SubmitAsync(await hub.CreateUserAsync()); // holds the only slot
        var ahead = new List<Job> { await hub.SubmitAsync(await hub.CreateUserAsync()), await hub.SubmitAsync(await hub.CreateUserAsync()) };
        await WithBrowserAsync("queue-moves", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, "pose-changer");
            await PickInputsAsync(hub, page, "pose-changer");
            await page.ClickAsync("#run");
            await ExpectStatusAsync(page, JobStatus.Queued);
            await Assertions.Expect(page.Locator("#job-status")).ToContainTextAsync("3");

            // Other people's cancellations: no change of this page's own job, yet its position follows each (well before the 15 s poll).
            var cancel = hub.Services.GetRequiredService<CancelJob>();
            foreach (var (job, expected) in ahead.Zip(["2", "1"]))
            {
                await cancel.HandleAsync(new CancelJobRequest(job.Id, job.UserId, JobCause.User, JobErrorCodes.CancelledByUser, "left"));
                await Assertions.Expect(page.Locator("#job-status")).ToContainTextAsync(expected, new() { Timeout = 5000 });
            }
        });
    }

    [Fact]
    public async Task ARefusedFile_IsExplainedAtTheTop_WithItsNumbers_BeforeRun_AndCheckStatusNowSaysWhatRunningHubAnswered()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Quick with { RunFor = TimeSpan.FromMinutes(5) });
        await WithBrowserAsync("refused-file", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, "pose-changer");
            await PickInputsAsync(hub, page, "pose-changer");
            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "empty.png", MimeType = "image/png", Buffer = [] });
            await Assertions.Expect(page.Locator("#runner-error")).ToContainTextAsync("vazio"); // before Run, which waits for a file that fits
            await Assertions.Expect(page.Locator("#runner-error")).Not.ToContainTextAsync("Escolha um arquivo");
            await Assertions.Expect(page.Locator("#run")).ToBeDisabledAsync();

            var limit = hub.Services.GetRequiredService<ToolCatalog>().Find("pose-changer")!.Inputs.Single(i => i.Key == "person").MaxWidth;
            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload
            {
                Name = "wide.png", MimeType = "image/png", Buffer = SampleMedia.Png(limit + 1, 2),
            });
            await Assertions.Expect(page.Locator("#runner-error")).ToContainTextAsync($"{limit + 1}×2");
            await Assertions.Expect(page.Locator("#runner-error")).ToContainTextAsync($"{limit}×");
            await Assertions.Expect(page.Locator("#run")).ToBeDisabledAsync();
            Assert.Equal(0, await hub.ScalarAsync<int>($"SELECT count(*)::int FROM jobs"));

            await PickInputsAsync(hub, page, "pose-changer");
            await page.ClickAsync("#run");
            await ExpectStatusAsync(page, JobStatus.Running);
            await page.ClickAsync("#check-now");
            await Assertions.Expect(page.Locator("#check-answer")).ToContainTextAsync("ainda está em andamento");
            await Assertions.Expect(page.Locator("#check-now")).ToBeEnabledAsync();
        });
    }

    [Fact]
    public async Task ConnectionLostAndBack_ThePageShowsTheJobsCurrentState()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Quick with { RunFor = TimeSpan.FromSeconds(3) });
        await WithBrowserAsync("reconnect", async context =>
        {
            var page = await SignedInPageAsync(hub, context);
            await OpenToolAsync(hub, page, "pose-changer");
            await PickInputsAsync(hub, page, "pose-changer");
            await page.ClickAsync("#run");
            await ExpectStatusAsync(page, JobStatus.Running);
            var jobId = Guid.Parse((await page.Locator("#job").GetAttributeAsync("data-job"))!);

            await context.SetOfflineAsync(true);
            Assert.Equal(JobStatus.Completed, (await hub.WaitForJobAsync(jobId, j => j.Status == JobStatus.Completed)).Status);
            await Task.Delay(1000);
            Assert.Equal(JobStatus.Running, await page.Locator("#job").GetAttributeAsync("data-status")); // the page really was cut off
            await context.SetOfflineAsync(false);

            await ExpectStatusAsync(page, JobStatus.Completed);
        });
    }
}
