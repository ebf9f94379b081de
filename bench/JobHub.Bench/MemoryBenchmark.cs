using System.Diagnostics;
using System.Globalization;
using JobHub.Bench.Load;
using Microsoft.Playwright;

namespace JobHub.Bench;

/// <summary>
/// Server memory of idle tool pages: N pages on the four tool pages (each a live circuit) in one signed-in Chromium context,
/// as the managed heap after full collections (and the working set), against the same N pages open on about:blank, so
/// that only the circuits are in the difference.
/// </summary>
public static class MemoryBenchmark
{
    private static readonly string[] Tools = ["image-upscaler", "video-upscaler", "pose-changer", "virtual-try-on"];

    public static async Task<IReadOnlyList<string>> RunAsync(string adminConnectionString, int pages)
    {
        await using var host = await BenchHost.StartAsync(adminConnectionString, new Dictionary<string, string?>
        {
            ["JobHub:Maintenance:Enabled"] = "false",
        });
        var plan = new LoadPlan { Users = 1 };
        var email = (await LoadDriver.CreateUsersAsync(host.Db, plan, "memory"))[0];
        var baseAddress = new Uri(host.BaseUrl + "/");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserUsers.ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--renderer-process-limit=8", "--disable-renderer-backgrounding"],
        });
        var context = await browser.NewContextAsync();
        var first = await context.NewPageAsync();
        await first.GotoAsync(new Uri(baseAddress, "account/login").ToString());
        await first.FillAsync("#email", email);
        await first.FillAsync("#password", plan.Password);
        await first.ClickAsync("#login-submit");
        await first.WaitForURLAsync(baseAddress.ToString());
        await OpenToolAsync(first, baseAddress, Tools[0]); // warm-up: JIT, first render, pools; stays open in both measurements

        var opened = new List<IPage>();
        for (var i = 0; i < pages; i++)
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync("about:blank");
            opened.Add(page);
        }

        var (heapBefore, workingSetBefore) = await MeasureAsync();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < pages; i += 8)
        {
            await Task.WhenAll(opened.Skip(i).Take(8).Select((page, j) => OpenToolAsync(page, baseAddress, Tools[(i + j) % Tools.Length])));
        }

        var openSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(10)); // idle: whatever a circuit does after its first render has happened
        var connected = 0;
        foreach (var page in opened)
        {
            connected += await page.Locator("body[data-circuit='on']").CountAsync();
        }

        var (heapAfter, workingSetAfter) = await MeasureAsync();
        var perPageHeap = (heapAfter - heapBefore) / (double)pages / 1024;
        var perPageWorkingSet = (workingSetAfter - workingSetBefore) / (double)pages / 1024;
        await context.CloseAsync();

        return
        [
            string.Create(CultureInfo.InvariantCulture, $"{pages} tool pages open in Chromium (the four tools in turn, one signed-in user, no job running), {connected} with a live circuit; opened in {openSeconds:0.0} s."),
            "",
            "| figure | per page | all pages | target |",
            "|---|---|---|---|",
            string.Create(CultureInfo.InvariantCulture, $"| managed heap after full GC (server side) | {perPageHeap:0.0} KB | {(heapAfter - heapBefore) / 1048576.0:0.0} MB | {(perPageHeap <= 250 ? "meets" : "misses")} ≤ 250 KB each |"),
            string.Create(CultureInfo.InvariantCulture, $"| process working set (includes GC headroom and Playwright's side) | {perPageWorkingSet:0.0} KB | {(workingSetAfter - workingSetBefore) / 1048576.0:0.0} MB | |"),
        ];
    }

    private static async Task OpenToolAsync(IPage page, Uri baseAddress, string tool)
    {
        await page.GotoAsync(new Uri(baseAddress, $"tools/{tool}").ToString());
        await page.Locator("body[data-circuit='on']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 60000 });
        await page.Locator("#tool-form").WaitForAsync(new() { Timeout = 60000 });
    }

    private static async Task<(long Heap, long WorkingSet)> MeasureAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            await Task.Delay(200);
        }

        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }
}
