using System.Security.Cryptography;
using JobHub.Core;
using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace JobHub.Tests.Web;

/// <summary>
/// The tool page's upload in Chromium: the file goes from the browser to the upload endpoint over HTTP, never through the
/// circuit; and a file chosen before the page is interactive is kept and used once it is.
/// </summary>
public sealed class UploadBrowserTests
{
    private static readonly SimulatorSettings Holding = new() { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMinutes(5) };

    private static Dictionary<string, string?> Settings() => new() { ["JobHub:SeedDemoUsers"] = "true" };

    private static Task ExpectStatusAsync(IPage page, string status) =>
        Assertions.Expect(page.Locator("#job")).ToHaveAttributeAsync("data-status", status, new() { Timeout = 30000 });

    private static async Task<Job> ShownJobAsync(LiveJobHub hub, IPage page) =>
        await hub.GetJobAsync(Guid.Parse((await page.Locator("#job").GetAttributeAsync("data-job"))!));

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

    /// <summary>A real MP4 header padded with a <c>free</c> box to <paramref name="length"/> bytes.</summary>
    private static byte[] Mp4(int length)
    {
        var header = SampleMedia.Mp4(320, 240, 2);
        var file = new byte[length];
        header.CopyTo(file, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(header.Length), (uint)(length - header.Length));
        "free"u8.CopyTo(file.AsSpan(header.Length + 4));
        for (var i = header.Length + 8; i < length; i++)
        {
            file[i] = (byte)(i * 31);
        }

        return file;
    }

    [Fact]
    public async Task TheChosenFile_GoesToTheUploadEndpoint_NeverThroughTheCircuit_AndTheJobIsCreatedFromIt()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Holding);
        await WithBrowserAsync("upload-over-http", async context =>
        {
            var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
            // Everything the page sends its circuit, frame by frame; and its HTTP requests.
            var frames = new System.Collections.Concurrent.ConcurrentBag<int>();
            page.WebSocket += (_, socket) => socket.FrameSent += (_, frame) => frames.Add(frame.Binary?.Length ?? frame.Text?.Length ?? 0);
            var uploads = new System.Collections.Concurrent.ConcurrentBag<(string Method, int Status)>();
            page.Response += (_, response) =>
            {
                if (new Uri(response.Url).AbsolutePath.StartsWith("/uploads/", StringComparison.Ordinal))
                {
                    uploads.Add((response.Request.Method, response.Status));
                }
            };
            await page.GotoAsync(new Uri(hub.BaseAddress, "tools/video-upscaler").ToString());
            await BrowserPages.WaitForCircuitAsync(page);
            var video = Mp4(3 * 1024 * 1024);

            await page.Locator("#input-video").SetInputFilesAsync(new FilePayload { Name = "clip.mp4", MimeType = "video/mp4", Buffer = video });
            await Assertions.Expect(page.Locator("#facts-video")).ToContainTextAsync("3 MB");
            await page.ClickAsync("#run");
            await ExpectStatusAsync(page, JobStatus.Running);

            var job = await ShownJobAsync(hub, page);
            var root = hub.Services.GetRequiredService<IOptions<JobHubOptions>>().Value.StorageRoot!;
            Assert.Equal(SHA256.HashData(video), SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(root, job.InputFiles.Single().StoredName))));
            Assert.Equal([("POST", 201)], uploads.ToArray());
            Assert.NotEmpty(frames); // the circuit was watched
            Assert.True(frames.Max() < 64 * 1024 && frames.Sum() < video.Length / 10,
                $"the circuit received {frames.Sum()} bytes (largest frame {frames.Max()}) for a file of {video.Length}");
        });
    }

    [Fact]
    public async Task AFileChosenBeforeThePageIsInteractive_IsKept_AndTheJobIsCreatedWithIt()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Holding);
        await WithBrowserAsync("chosen-before-interactive", async context =>
        {
            var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
            // A slow connection: the page is shown at once, its circuit comes seconds later.
            await page.RouteAsync("**/_blazor/negotiate*", async route =>
            {
                await Task.Delay(TimeSpan.FromSeconds(4));
                await route.ContinueAsync();
            });

            await page.GotoAsync(new Uri(hub.BaseAddress, "tools/pose-changer").ToString(), new() { WaitUntil = WaitUntilState.DOMContentLoaded });
            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "person.png", MimeType = "image/png", Buffer = SampleMedia.Png(321, 241, 1) });
            await page.Locator("#input-pose").SetInputFilesAsync(new FilePayload { Name = "pose.png", MimeType = "image/png", Buffer = SampleMedia.Png(123, 77, 2) });

            Assert.Null(await page.Locator("body").GetAttributeAsync("data-circuit")); // both chosen before the page was interactive
            await Assertions.Expect(page.Locator("#kept-person")).ToBeVisibleAsync(); // said to be kept, not silently dropped
            await Assertions.Expect(page.Locator("#run")).ToBeDisabledAsync(); // and Run takes no click until it works
            await Assertions.Expect(page.Locator("#run")).ToContainTextAsync("Preparando");

            await BrowserPages.WaitForCircuitAsync(page);
            await Assertions.Expect(page.Locator("#facts-person")).ToContainTextAsync("321 × 241 px");
            await Assertions.Expect(page.Locator("#facts-pose")).ToContainTextAsync("123 × 77 px");
            await Assertions.Expect(page.Locator("#run")).ToBeEnabledAsync();
            await page.ClickAsync("#run");
            await ExpectStatusAsync(page, JobStatus.Running);

            var inputs = (await ShownJobAsync(hub, page)).InputFiles.ToDictionary(i => i.Key);
            Assert.Equal((321, 241, "person.png"), (inputs["person"].Width, inputs["person"].Height, inputs["person"].OriginalName));
            Assert.Equal((123, 77, "pose.png"), (inputs["pose"].Width, inputs["pose"].Height, inputs["pose"].OriginalName));
        });
    }

    [Fact]
    public async Task RunAgain_ShowsTheFilesAndCost_ThenRunsANewJob_WithoutUploadingThemAgain()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), new SimulatorSettings { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMilliseconds(300) });
        await WithBrowserAsync("run-again", async context =>
        {
            var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
            var uploads = 0;
            page.Request += (_, request) => uploads += new Uri(request.Url).AbsolutePath.StartsWith("/uploads/", StringComparison.Ordinal) ? 1 : 0;
            await page.GotoAsync(new Uri(hub.BaseAddress, "tools/pose-changer").ToString());
            await BrowserPages.WaitForCircuitAsync(page);
            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "person.png", MimeType = "image/png", Buffer = SampleMedia.Png(321, 241, 1) });
            await page.Locator("#input-pose").SetInputFilesAsync(new FilePayload { Name = "pose.png", MimeType = "image/png", Buffer = SampleMedia.Png(123, 77, 2) });
            await page.ClickAsync("#run");
            await ExpectStatusAsync(page, JobStatus.Completed);
            var first = await ShownJobAsync(hub, page);
            Assert.Equal(2, uploads);

            await page.ClickAsync("#run-again");

            var plan = page.Locator("#run-again-plan");
            await Assertions.Expect(plan).ToContainTextAsync("person.png · 321×241");
            await Assertions.Expect(plan).ToContainTextAsync("pose.png · 123×77");
            await Assertions.Expect(page.Locator("#run-again-cost")).ToContainTextAsync($"Custa {first.CreditCost} créditos");
            await page.ClickAsync("#run-again-confirm");
            await Assertions.Expect(page.Locator("#job")).Not.ToHaveAttributeAsync("data-job", first.Id.ToString(), new() { Timeout = 30000 });

            var again = await ShownJobAsync(hub, page);
            Assert.Equal(2, uploads); // the stored files were used, not sent again
            Assert.Equal(first.ParameterValues, again.ParameterValues);
            Assert.Equal(first.InputFiles.Select(i => (i.Key, i.OriginalName, i.Width)), again.InputFiles.Select(i => (i.Key, i.OriginalName, i.Width)));
        });
    }
}
