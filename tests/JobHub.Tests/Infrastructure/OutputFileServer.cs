using JobHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// Where RunningHub's result URLs point in the copy tests: a real HTTP server with a result image that answers 503 while
/// <see cref="FailuresLeft"/> lasts, one held until <see cref="Release"/>, a file over the size limit, a redirect within the host and one to <paramref name="elsewhere"/>.
/// </summary>
public sealed class OutputFileServer : IAsyncDisposable
{
    public static readonly byte[] Image = SampleMedia.Png(20, 20, 7);

    private readonly WebApplication app;
    private readonly TaskCompletionSource held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int failuresLeft;
    private int heldRequests;
    private int requests;

    private OutputFileServer(WebApplication app) => this.app = app;

    public string BaseUrl => app.Urls.First();

    /// <summary>The next this many requests for the result image are answered 503.</summary>
    public int FailuresLeft
    {
        get => Volatile.Read(ref failuresLeft);
        set => Volatile.Write(ref failuresLeft, value);
    }

    /// <summary>Requests for the result image so far.</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>Requests for the held image so far (each waits until <see cref="Release"/>).</summary>
    public int HeldRequests => Volatile.Read(ref heldRequests);

    /// <summary>Lets the held image's requests, present and future, be answered.</summary>
    public void Release() => held.TrySetResult();

    /// <summary>Settings that make this server an allowed output host of a harness (as the simulator's base address is).</summary>
    public IDictionary<string, string?> AllowedHostSettings(int index = 0) => new Dictionary<string, string?>
    {
        [$"JobHub:RunningHub:OutputHosts:{index}"] = new Uri(BaseUrl).Authority,
    };

    public static async Task<OutputFileServer> StartAsync(Func<string>? elsewhere = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new OutputFileServer(app);
        app.MapGet("/out/result.png", () =>
        {
            Interlocked.Increment(ref server.requests);
            return Interlocked.Decrement(ref server.failuresLeft) >= 0 ? Results.StatusCode(503) : Results.Bytes(Image, "image/png");
        });
        app.MapGet("/out/held.png", async (CancellationToken aborted) =>
        {
            Interlocked.Increment(ref server.heldRequests);
            await server.held.Task.WaitAsync(aborted);
            return Results.Bytes(Image, "image/png");
        });
        app.MapGet("/out/huge.bin", () => Results.Bytes(new byte[200_000], "application/octet-stream"));
        app.MapGet("/out/moved.png", () => Results.Redirect("/out/result.png"));
        // What a hostile or broken answer may name: a page, an SVG, HTML declared as an image, an image at a page's name.
        app.MapGet("/out/page.html", () => Results.Text("<html><script>fetch('/api/jobs/active')</script></html>", "text/html"));
        app.MapGet("/out/image.svg", () => Results.Text("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"));
        app.MapGet("/out/fake.png", () => Results.Text("<html><script>alert(1)</script></html>", "image/png"));
        app.MapGet("/out/real.html", () => Results.Bytes(Image, "text/html"));
        // A server that sends the start of an image at once, then a byte every 100 ms for ever.
        app.MapGet("/out/drip.png", async (HttpContext context, CancellationToken aborted) =>
        {
            context.Response.ContentType = "image/png";
            await context.Response.Body.WriteAsync(Image, aborted);
            while (!aborted.IsCancellationRequested)
            {
                await context.Response.Body.FlushAsync(aborted);
                await Task.Delay(100, aborted);
                await context.Response.Body.WriteAsync(new byte[1], aborted);
            }
        });
        app.MapGet("/out/elsewhere.png", () => Results.Redirect(elsewhere?.Invoke() ?? "/out/missing.png"));
        await app.StartAsync();
        return server;
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
