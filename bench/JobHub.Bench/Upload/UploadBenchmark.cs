using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using JobHub.Bench.Load;
using JobHub.Core.Jobs;
using JobHub.Core.Persistence;
using JobHub.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Npgsql;

namespace JobHub.Bench.Upload;

/// <summary>
/// The tool page's upload in Chromium against the jobs API's plain POST of the same file, to the job's row whatever carries
/// the file, on loopback and through <see cref="LatencyProxy"/>; then the published JobHub's peak memory under ten at once.
/// </summary>
public static class UploadBenchmark
{
    private const string Tool = "video-upscaler";
    private const string Input = "video";
    private const int Repeats = 5;
    private const int People = 10;
    private const int ParallelMegabytes = 25;
    private const double RatioTarget = 2;
    private const long MemoryTarget = 400L * 1024 * 1024;
    private static readonly int[] Megabytes = [6, 25];
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    public static async Task<IReadOnlyList<string>> RunAsync(string adminConnectionString, string webExecutable)
    {
        var clock = Stopwatch.StartNew();
        var database = await BenchDatabase.CreateAsync(adminConnectionString, "jobhub_upload");
        var folder = Path.Combine(Path.GetTempPath(), "jobhub-upload", database);
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
            var videos = Megabytes.ToDictionary(mb => mb, mb => WriteVideo(Path.Combine(folder, "files"), mb));
            // Tasks end within a second, so each run waits for its job's end before the next (one active job per person).
            await using var simulator = await BenchSimulator.StartAsync(
                new SimulatorSettings { QueuedFor = TimeSpan.FromMilliseconds(100), RunFor = TimeSpan.FromMilliseconds(300) }, Path.Combine(folder, "simulator"));
            var webUrl = new Uri($"http://127.0.0.1:{JobHubProcess.FreePort()}/");
            // The shipped timings, not the chaos runs' short ones: on a busy machine a 5 s call timeout cuts JobHub's uploads to the simulator.
            var settings = new Dictionary<string, string?>(simulator.JobHubSettings())
            {
                ["ConnectionStrings:JobHub"] = connectionString,
                ["JobHub:PublicBaseUrl"] = webUrl.ToString().TrimEnd('/'),
                ["JobHub:StorageRoot"] = Path.Combine(folder, "storage"),
                ["JobHub:WebhookSecret"] = "upload-run-secret",
                ["JobHub:SeedDemoUsers"] = "false",
                ["JobHub:RateLimits:Enabled"] = "false", // dozens of uploads by one person in minutes, on purpose
                ["JobHub:Maintenance:Enabled"] = "false", // no sweeps beside the uploads
                ["Logging:LogLevel:Default"] = "Warning",
            };
            await using var jobhub = new JobHubProcess(webExecutable, webUrl, settings, Path.Combine(Path.GetTempPath(), "jobhub-upload", $"{database}.log"));
            await jobhub.StartAsync();
            await using var proxy = LatencyProxy.Start(webUrl, OneWay);
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            var db = JobHubDbContext.FactoryFor(dataSource);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = BrowserUsers.ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", "--disable-renderer-backgrounding", "--disable-background-timer-throttling"],
            });

            var (timings, loopbackRequest, delayedRequest) = await TimeAsync(browser, db, webUrl, proxy.BaseAddress, videos);
            var peaks = new List<Peak>();
            foreach (var viaPages in new[] { true, false })
            {
                // A fresh process for each way, so that neither figure carries what the other (or the timed runs) left behind.
                jobhub.Kill();
                await jobhub.StartAsync();
                peaks.Add(await PeakAsync(viaPages, jobhub.Pid!.Value, browser, db, webUrl, videos));
            }

            return Table(timings, loopbackRequest, delayedRequest, peaks, clock.Elapsed);
        }
        finally
        {
            await BenchDatabase.DropAsync(adminConnectionString, database, folder);
        }
    }

    private sealed record Person(string Email, Guid Id);

    private sealed record Timing(int Megabytes, string Network, bool Delayed, IReadOnlyList<double> Page, IReadOnlyList<double> Post)
    {
        public double Ratio => Median(Page) / Median(Post);
    }

    private sealed record Peak(string Way, long Before, long? HighWaterMark, long Sampled, TimeSpan AllCreated)
    {
        public long Highest => Math.Max(HighWaterMark ?? 0, Sampled);
    }

    /// <summary>One person, the page and the API taking turns with each file on each network: seconds from choosing to the job's row.</summary>
    private static async Task<(List<Timing> Timings, double LoopbackRequest, double DelayedRequest)> TimeAsync(IBrowser browser, IDbContextFactory<JobHubDbContext> db, Uri direct, Uri delayed,
        Dictionary<int, string> videos)
    {
        var person = (await PeopleAsync(db, 1, "upload"))[0];
        var page = await SignedInPageAsync(browser, direct, person.Email);
        var cookies = new CookieContainer();
        using var directHttp = await SignedInClientAsync(direct, cookies, person.Email);
        // The sign-in cookie is the host's, whatever the port: the client through the proxy is the same person.
        using var delayedHttp = ApiSession.Create(delayed, cookies, Deadline);

        // Not counted: the first page render, JIT, buffer pools and connection pools of both paths, with each file.
        foreach (var megabytes in Megabytes)
        {
            await PageRunAsync(page, direct, videos[megabytes], person, db);
            await PostRunAsync(directHttp, videos[megabytes], person, db);
        }

        // The proxy's own check: one small request on an open connection costs one round trip more through it.
        var loopbackRequest = await RequestMillisecondsAsync(directHttp);
        var delayedRequest = await RequestMillisecondsAsync(delayedHttp);
        var timings = new List<Timing>();
        foreach (var (network, address, http) in new[] { ("loopback", direct, directHttp), ("+50 ms round trip", delayed, delayedHttp) })
        {
            foreach (var megabytes in Megabytes)
            {
                var pageSeconds = new List<double>();
                var postSeconds = new List<double>();
                for (var i = 0; i < Repeats; i++)
                {
                    pageSeconds.Add(await PageRunAsync(page, address, videos[megabytes], person, db));
                    postSeconds.Add(await PostRunAsync(http, videos[megabytes], person, db));
                }

                var timing = new Timing(megabytes, network, address == delayed, pageSeconds, postSeconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  [upload] {megabytes} MB, {network}: page {string.Join(" ", pageSeconds.Select(s => s.ToString("0.00", CultureInfo.InvariantCulture)))} s; POST {string.Join(" ", postSeconds.Select(s => s.ToString("0.00", CultureInfo.InvariantCulture)))} s"));
                timings.Add(timing);
            }
        }

        await page.Context.CloseAsync();
        return (timings, loopbackRequest, delayedRequest);
    }

    private static async Task<double> RequestMillisecondsAsync(HttpClient http)
    {
        var samples = new List<double>();
        for (var i = 0; i < Repeats; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync("health/ready");
            response.EnsureSuccessStatusCode();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return Median(samples);
    }

    private static async Task<double> PageRunAsync(IPage page, Uri baseAddress, string video, Person person, IDbContextFactory<JobHubDbContext> db)
    {
        await OpenToolAsync(page, baseAddress);
        var chosen = DateTime.UtcNow;
        await ChooseAndRunAsync(page, video);
        var job = await CreatedAsync(db, person, chosen, () => PageRefusalAsync(page));
        await EndedAsync(db, job.Id);
        // Off the page (its circuit closed, the result video not loading) before the POST's turn.
        await page.GotoAsync("about:blank");
        return (job.CreatedAt - chosen).TotalSeconds;
    }

    private static async Task<double> PostRunAsync(HttpClient http, string video, Person person, IDbContextFactory<JobHubDbContext> db)
    {
        var sent = DateTime.UtcNow;
        await PostAsync(http, video);
        var job = await CreatedAsync(db, person, sent);
        await EndedAsync(db, job.Id);
        return (job.CreatedAt - sent).TotalSeconds;
    }

    /// <summary>
    /// Ten people, each a user of their own, upload the 25 MB file at once (pages open and signed in, or clients signed in,
    /// beforehand); the web process's resident memory from the first byte chosen until the last of the ten jobs exists.
    /// </summary>
    private static async Task<Peak> PeakAsync(bool viaPages, int pid, IBrowser browser, IDbContextFactory<JobHubDbContext> db, Uri webUrl,
        Dictionary<int, string> videos)
    {
        var people = await PeopleAsync(db, People + 1, viaPages ? "upload-pages" : "upload-posts");
        var warmUp = people[^1];
        people = people[..^1];
        var pages = new List<IPage>();
        var clients = new List<HttpClient>();
        try
        {
            if (viaPages)
            {
                pages.AddRange(await Task.WhenAll(people.Select(p => SignedInPageAsync(browser, webUrl, p.Email))));
                var warmUpPage = await SignedInPageAsync(browser, webUrl, warmUp.Email);
                pages.Add(warmUpPage);
                await PageRunAsync(warmUpPage, webUrl, videos[Megabytes[0]], warmUp, db);
                await Task.WhenAll(pages.Take(People).Select(page => OpenToolAsync(page, webUrl)));
            }
            else
            {
                clients.AddRange(await Task.WhenAll(people.Append(warmUp).Select(p => SignedInClientAsync(webUrl, new CookieContainer(), p.Email))));
                await PostRunAsync(clients[^1], videos[Megabytes[0]], warmUp, db);
            }

            var video = videos[ParallelMegabytes];
            await using var memory = PeakMemory.Watch(pid);
            var started = DateTime.UtcNow;
            var jobs = await Task.WhenAll(people.Select(async (person, i) =>
            {
                if (viaPages)
                {
                    await ChooseAndRunAsync(pages[i], video);
                    return await CreatedAsync(db, person, started, () => PageRefusalAsync(pages[i]));
                }

                await PostAsync(clients[i], video);
                return await CreatedAsync(db, person, started);
            }));
            var (highWaterMark, sampled) = await memory.StopAsync();
            var peak = new Peak(viaPages ? $"tool page ({People} Chromium contexts)" : "HTTP POST", memory.Before, highWaterMark, sampled,
                jobs.Max(j => j.CreatedAt) - started);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  [upload] {People} × {ParallelMegabytes} MB via {peak.Way}: resident {Mb(peak.Before)} before, VmHWM {Mb(highWaterMark)}, sampled {Mb(sampled)}; all created after {peak.AllCreated.TotalSeconds:0.0} s"));
            foreach (var job in jobs)
            {
                await EndedAsync(db, job.Id);
            }

            return peak;
        }
        finally
        {
            foreach (var page in pages)
            {
                await page.Context.CloseAsync();
            }

            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task OpenToolAsync(IPage page, Uri baseAddress)
    {
        await page.GotoAsync(new Uri(baseAddress, $"tools/{Tool}").ToString());
        await page.Locator("body[data-circuit='on']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 60000 });
        await page.Locator("#tool-form").WaitForAsync(new() { Timeout = 60000 });
    }

    /// <summary>What a person does: picks the file (from disk, as a file dialog gives it), then Run, once the page lets them.</summary>
    private static async Task ChooseAndRunAsync(IPage page, string video)
    {
        await page.Locator($"#input-{Input}").SetInputFilesAsync(video);
        await page.ClickAsync("#run", new() { Timeout = (float)Deadline.TotalMilliseconds });
    }

    private static async Task<string?> PageRefusalAsync(IPage page)
    {
        var errors = page.Locator("#runner-error, .jobhub-error-text");
        return await errors.CountAsync() > 0 ? await errors.First.InnerTextAsync() : null;
    }

    /// <summary>The plain multipart POST a script would send: the file streamed from disk under the input's key.</summary>
    private static async Task PostAsync(HttpClient http, string video)
    {
        await using var file = File.OpenRead(video);
        using var content = new MultipartFormDataContent();
        var part = new StreamContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        content.Add(part, Input, Path.GetFileName(video));
        using var response = await http.PostAsync($"api/tools/{Tool}/jobs", content);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"the jobs API answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>
    /// The person's job made since <paramref name="since"/>, with its own <c>created_at</c> (one machine, one clock), so the
    /// figure does not depend on how often this asks; a refusal the page shows ends the wait at once.
    /// </summary>
    private static async Task<(Guid Id, DateTime CreatedAt)> CreatedAsync(IDbContextFactory<JobHubDbContext> db, Person person, DateTime since,
        Func<Task<string?>>? refusal = null)
    {
        var deadline = DateTime.UtcNow + Deadline;
        for (var poll = 1; ; poll++)
        {
            await using (var context = await db.CreateDbContextAsync())
            {
                var job = await context.Set<Job>().Where(j => j.UserId == person.Id && j.CreatedAt >= since)
                    .Select(j => new { j.Id, j.CreatedAt }).FirstOrDefaultAsync();
                if (job is not null)
                {
                    return (job.Id, job.CreatedAt);
                }
            }

            // The page asked now and then only: each question is work in the browser while it uploads.
            if (poll % 20 == 0 && refusal is not null && await refusal() is { } refused)
            {
                throw new InvalidOperationException($"the tool page refused the upload of {person.Email}: {refused}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no job for {person.Email} within {Deadline.TotalMinutes:0} minutes");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the job has ended and its result is copied, so that nothing of it runs during the next upload.</summary>
    private static async Task EndedAsync(IDbContextFactory<JobHubDbContext> db, Guid jobId)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            await using (var context = await db.CreateDbContextAsync())
            {
                if (await context.Set<Job>().AnyAsync(j => j.Id == jobId && JobStatus.Terminal.Contains(j.Status)
                        && (j.Status != JobStatus.Completed || j.OutputsCopiedAt != null)))
                {
                    return;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {jobId} did not end within {Deadline.TotalMinutes:0} minutes");
            }

            await Task.Delay(100);
        }
    }

    private static async Task<Person[]> PeopleAsync(IDbContextFactory<JobHubDbContext> db, int count, string prefix)
    {
        var emails = await LoadDriver.CreateUsersAsync(db, new LoadPlan { Users = count }, prefix);
        await using var context = await db.CreateDbContextAsync();
        var ids = await context.Users.Where(u => emails.Contains(u.Email!)).ToDictionaryAsync(u => u.Email!, u => u.Id);
        return [.. emails.Select(email => new Person(email, ids[email]))];
    }

    private static async Task<IPage> SignedInPageAsync(IBrowser browser, Uri baseAddress, string email)
    {
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(baseAddress, "account/login").ToString());
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", new LoadPlan().Password);
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(baseAddress.ToString());
        return page;
    }

    private static async Task<HttpClient> SignedInClientAsync(Uri baseAddress, CookieContainer cookies, string email)
    {
        var http = ApiSession.Create(baseAddress, cookies, Deadline);
        if (!await ApiSession.SignInAsync(http, cookies, email, new LoadPlan().Password))
        {
            http.Dispose();
            throw new InvalidOperationException($"the sign-in of {email} was refused");
        }

        return http;
    }

    /// <summary>
    /// An MP4 of exactly <paramref name="megabytes"/> MiB that JobHub accepts (it reads the container's headers): the test
    /// suite's sample header, its moov first as in a file made for the web, then an mdat of noise that nothing can compress.
    /// </summary>
    private static string WriteVideo(string folder, int megabytes)
    {
        Directory.CreateDirectory(folder);
        var header = SampleMedia.Mp4(1280, 720, 20);
        var media = new byte[megabytes * 1024 * 1024 - header.Length];
        new Random(megabytes).NextBytes(media);
        BinaryPrimitives.WriteUInt32BigEndian(media, (uint)media.Length);
        "mdat"u8.CopyTo(media.AsSpan(4));
        var path = Path.Combine(folder, $"video-{megabytes}mb.mp4");
        using var file = File.Create(path);
        file.Write(header);
        file.Write(media);
        return path;
    }

    private static IReadOnlyList<string> Table(IReadOnlyList<Timing> timings, double loopbackRequest, double delayedRequest, IReadOnlyList<Peak> peaks,
        TimeSpan elapsed)
    {
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"The video upscaler's upload: the tool page in Chromium (`setInputFiles` on the drop zone's input, then Run) against the jobs API's plain multipart POST of the same file (`POST /api/tools/{Tool}/jobs`), same person, same JobHub (the published build, its own process; the RunningHub simulator in the benchmark's process). Each figure is the median of {Repeats} (min–max beside it), from the file chosen or the request sent to the job's `created_at` in PostgreSQL; the page and the POST take turns, each job ends (its result copied, the page left) before the next. The 50 ms are added by a TCP proxy in the benchmark that both the browser and the HTTP client go through: every chunk read is forwarded 25 ms later, each way, in order (a small request on an open connection: {loopbackRequest:0.0} ms on loopback, {delayedRequest:0.0} ms through it). Files: MP4s of 6 and 25 MiB (a real container header and 20 s at 1280×720 declared; the rest noise)."),
            "",
            "| file | network | tool page | HTTP POST | page / POST | target |",
            "|---|---|---|---|---|---|",
        };
        lines.AddRange(timings.Select(t => string.Create(CultureInfo.InvariantCulture,
            $"| {t.Megabytes} MB MP4 | {t.Network} | {Seconds(t.Page)} | {Seconds(t.Post)} | {t.Ratio:0.0}× | {(t.Delayed ? (t.Ratio <= RatioTarget ? "meets" : "misses") + $" ≤ {RatioTarget:0}×" : "")} |")));
        lines.Add("");
        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"Peak resident memory of the JobHub.Web process while {People} people, each a user of their own, upload a {ParallelMegabytes} MiB MP4 at once on loopback: from the first file chosen (or request sent) until the last of the jobs exists. A fresh process for each way, warmed by one upload of the same kind; pages open and signed in (or clients signed in) before. Read from /proc: VmHWM, reset just before (clear_refs), and VmRSS sampled every 20 ms."));
        lines.Add("");
        lines.Add($"| {People} parallel {ParallelMegabytes} MB uploads | resident before | peak (VmHWM) | peak (sampled) | last job created after | target |");
        lines.Add("|---|---|---|---|---|---|");
        lines.AddRange(peaks.Select(p => string.Create(CultureInfo.InvariantCulture,
            $"| {p.Way} | {Mb(p.Before)} | {Mb(p.HighWaterMark)} | {Mb(p.Sampled)} | {p.AllCreated.TotalSeconds:0.0} s | {(p.Highest < MemoryTarget ? "meets" : "misses")} < {MemoryTarget / 1048576} MB |")));
        lines.Add("");
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"The whole benchmark took {elapsed.TotalMinutes:0.0} minutes."));
        return lines;
    }

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Seconds(IReadOnlyList<double> values) =>
        string.Create(CultureInfo.InvariantCulture, $"{Median(values):0.00} s ({values.Min():0.00}–{values.Max():0.00})");

    private static string Mb(long? bytes) => bytes is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value / 1048576.0:0} MB") : "–";
}
