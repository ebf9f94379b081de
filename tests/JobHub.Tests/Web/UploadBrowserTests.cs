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
/// The tool page's upload in Chromium: the file goes to the upload endpoint over HTTP once chosen, never through the circuit,
/// and Run submits the stored upload; a refused file is explained beside its input; a replaced file's upload is given up;
/// a file chosen before the page is interactive is kept, sent, and used once it is.
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

    /// <summary>The person's uploads stored in full (rows of <c>uploads</c> with their input).</summary>
    private static Task<int> StoredUploadsAsync(LiveJobHub hub) => hub.ScalarAsync<int>($"SELECT count(*)::int FROM uploads WHERE input IS NOT NULL");

    private static Task<int> JobsAsync(LiveJobHub hub) => hub.ScalarAsync<int>($"SELECT count(*)::int FROM jobs");

    [Fact]
    public async Task TheChosenFile_GoesToTheUploadEndpoint_AsSoonAsItIsChosen_NeverThroughTheCircuit_AndRunMakesTheJobFromIt()
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

            // Stored before Run is pressed; no job yet.
            await Assertions.Expect(page.Locator("#drop-video")).ToHaveAttributeAsync("data-upload", "stored", new() { Timeout = 30000 });
            Assert.Equal((1, 0), (await StoredUploadsAsync(hub), await JobsAsync(hub)));
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
            // Both sent at once, while the page still waits for its circuit.
            Assert.True(await hub.WaitUntilAsync(async () => await StoredUploadsAsync(hub) == 2, TimeSpan.FromSeconds(10)), "the files were not sent before the page was interactive");
            Assert.Null(await page.Locator("body").GetAttributeAsync("data-circuit"));

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
    public async Task AFileTheEndpointRefuses_IsExplainedBesideItsInput_BeforeRun_AndNoJobIsMade()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Holding);
        await WithBrowserAsync("refused-before-run", async context =>
        {
            var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
            await page.GotoAsync(new Uri(hub.BaseAddress, "tools/pose-changer").ToString());
            await BrowserPages.WaitForCircuitAsync(page);
            await hub.Db.ExecuteAsync($"UPDATE users SET credit_balance = 1 WHERE normalized_email = upper({DemoAccounts.UserEmail})");

            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "person.png", MimeType = "image/png", Buffer = SampleMedia.Png(321, 241, 1) });

            // The endpoint's refusal (the tool's cheapest run costs more than the balance), in the page's language, before Run.
            await Assertions.Expect(page.Locator("#input-error-person")).ToContainTextAsync("Créditos insuficientes", new() { Timeout = 30000 });
            await Assertions.Expect(page.Locator("#drop-person")).ToHaveAttributeAsync("data-upload", "refused");
            await Assertions.Expect(page.Locator("#run")).ToBeDisabledAsync();
            await page.Locator("#input-pose").SetInputFilesAsync(new FilePayload { Name = "pose.png", MimeType = "image/png", Buffer = SampleMedia.Png(123, 77, 2) });
            await Assertions.Expect(page.Locator("#drop-pose")).ToHaveAttributeAsync("data-upload", "refused", new() { Timeout = 30000 });
            await Assertions.Expect(page.Locator("#run")).ToBeDisabledAsync();
            await page.Locator("#tool-form").DispatchEventAsync("submit"); // Enter on the form
            await Task.Delay(500); // nothing to wait for: the form does nothing
            Assert.Equal((0, 0), (await StoredUploadsAsync(hub), await JobsAsync(hub)));
        });
    }

    [Fact]
    public async Task AFileNamedPngThatIsNotAnImage_IsSaidToBeUnreadableAsAnImage_BeforeRun_WithoutBlamingTheBrowser()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Holding);
        await WithBrowserAsync("fake-png", async context =>
        {
            var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
            await page.GotoAsync(new Uri(hub.BaseAddress, "tools/image-upscaler").ToString());
            await BrowserPages.WaitForCircuitAsync(page);

            await page.Locator("#input-image").SetInputFilesAsync(new FilePayload
            {
                Name = "photo.png", MimeType = "image/png", Buffer = "<html><body>not an image at all</body></html>"u8.ToArray(),
            });

            await Assertions.Expect(page.Locator("#input-error-image")).ToContainTextAsync("não pôde ser lido como imagem", new() { Timeout = 30000 });
            await Assertions.Expect(page.Locator("#facts-image")).ToContainTextAsync("photo.png");
            await Assertions.Expect(page.Locator("#facts-image")).Not.ToContainTextAsync("navegador");
            await Assertions.Expect(page.Locator("#run")).ToBeDisabledAsync();
            Assert.Equal((0, 0), (await StoredUploadsAsync(hub), await JobsAsync(hub)));
        });
    }

    [Fact]
    public async Task ReplacingAFile_WhileItIsSent_GivesUpItsUpload_RunWaitsForTheNewOneSayingSo_AndTheJobHasTheNewFile()
    {
        await using var hub = await LiveJobHub.StartAsync(Settings(), Holding);
        await WithBrowserAsync("replace-file", async context =>
        {
            var page = await BrowserPages.SignedInAsync(context, hub.BaseAddress, DemoAccounts.UserEmail, DemoAccounts.UserPassword);
            // A slow line for the uploads: each reaches JobHub two seconds after it is sent.
            var aborted = 0;
            await page.RouteAsync("**/uploads/**", async route =>
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                try
                {
                    await route.ContinueAsync();
                }
                catch (PlaywrightException)
                {
                    Interlocked.Increment(ref aborted); // the page gave the request up meanwhile
                }
            });
            page.RequestFailed += (_, request) => Interlocked.Increment(ref aborted);
            await page.GotoAsync(new Uri(hub.BaseAddress, "tools/pose-changer").ToString());
            await BrowserPages.WaitForCircuitAsync(page);
            await page.Locator("#input-pose").SetInputFilesAsync(new FilePayload { Name = "pose.png", MimeType = "image/png", Buffer = SampleMedia.Png(123, 77, 2) });
            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "first.png", MimeType = "image/png", Buffer = SampleMedia.Png(321, 241, 1) });
            await Assertions.Expect(page.Locator("#drop-person")).ToHaveAttributeAsync("data-upload", "sending");

            await page.Locator("#input-person").SetInputFilesAsync(new FilePayload { Name = "second.png", MimeType = "image/png", Buffer = SampleMedia.Png(111, 99, 3) });
            await Assertions.Expect(page.Locator("#facts-person")).ToContainTextAsync("111 × 99 px");
            await page.ClickAsync("#run");

            await Assertions.Expect(page.Locator("#run")).ToContainTextAsync("Aguardando o envio"); // Run waits for the upload, and says so
            await Assertions.Expect(page.Locator("#job")).ToHaveAttributeAsync("data-status", new System.Text.RegularExpressions.Regex("."), new() { Timeout = 30000 });
            var person = (await ShownJobAsync(hub, page)).InputFiles.Single(i => i.Key == "person");
            Assert.Equal(("second.png", 111, 99), (person.OriginalName, person.Width, person.Height));
            Assert.True(aborted > 0, "the replaced file's upload was not given up");
            Assert.Equal(1, await JobsAsync(hub));
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
