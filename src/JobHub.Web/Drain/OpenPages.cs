using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.JSInterop;

namespace JobHub.Web.Drain;

/// <summary>
/// The pages connected here, so that a drain can tell each to move (app.js <c>jobhub.move</c>: pause the circuit, resume it
/// wherever the proxy sends the page next; docs/decisions/0014). A page that connects during a drain is told at once.
/// </summary>
public sealed class OpenPages(ILogger<OpenPages> logger)
{
    private readonly ConcurrentDictionary<string, IJSRuntime> connected = new(StringComparer.Ordinal);
    private readonly Lock changing = new();
    private TaskCompletionSource? empty;
    private volatile bool moving;

    public int Count => connected.Count;

    internal void Up(string circuitId, IJSRuntime js)
    {
        connected[circuitId] = js;
        if (moving)
        {
            _ = TellAsync(circuitId, js);
        }
    }

    internal void Down(string circuitId)
    {
        connected.TryRemove(circuitId, out _);
        lock (changing)
        {
            if (connected.IsEmpty)
            {
                empty?.TrySetResult();
            }
        }
    }

    /// <summary>Tells every connected page to move and waits until none is connected here, or <paramref name="deadline"/>; returns how many are left.</summary>
    public async Task<int> MoveAllAsync(Task deadline)
    {
        moving = true;
        Task gone;
        lock (changing)
        {
            empty = new(TaskCreationOptions.RunContinuationsAsynchronously);
            if (connected.IsEmpty)
            {
                empty.TrySetResult();
            }

            gone = empty.Task;
        }

        foreach (var (id, js) in connected)
        {
            _ = TellAsync(id, js);
        }

        await Task.WhenAny(gone, deadline);
        return connected.Count;
    }

    private async Task TellAsync(string circuitId, IJSRuntime js)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await js.InvokeVoidAsync("jobhub.move", timeout.Token);
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or OperationCanceledException or InvalidOperationException)
        {
            logger.LogDebug(ex, "Page {Circuit} could not be told to move; its connection closes with the host", circuitId);
        }
    }
}

/// <summary>Keeps <see cref="OpenPages"/> in step with this circuit's connection (one per circuit).</summary>
public sealed class OpenPagesCircuitHandler(OpenPages pages, IJSRuntime js) : CircuitHandler
{
    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        pages.Up(circuit.Id, js);
        return Task.CompletedTask;
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        pages.Down(circuit.Id);
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        pages.Down(circuit.Id);
        return Task.CompletedTask;
    }
}
