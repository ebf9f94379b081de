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
        app.MapGet("/out/elsewhere.png", () => Results.Redirect(elsewhere?.Invoke() ?? "/out/missing.png"));
        await app.StartAsync();
        return server;
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
