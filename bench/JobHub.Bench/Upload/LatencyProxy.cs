using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace JobHub.Bench.Upload;

/// <summary>
/// A TCP forwarder on a loopback port of its own in front of JobHub that stands for a distant person's line: every chunk
/// read from either side is written to the other side <c>oneWay</c> later, in the order read, so each round trip costs
/// twice that more while the bytes keep flowing (each chunk waits its own delay, not the one before it).
/// </summary>
public sealed class LatencyProxy : IAsyncDisposable
{
    private const int ChunkBytes = 64 * 1024;
    // Chunks in flight per direction: far more than the delay holds back at loopback speed, so only latency is added, not a cap.
    private const int ChunksInFlight = 512;

    private readonly TcpListener listener;
    private readonly IPEndPoint target;
    private readonly long delayTicks;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;

    private LatencyProxy(IPEndPoint target, TimeSpan oneWay)
    {
        this.target = target;
        delayTicks = (long)(oneWay.TotalSeconds * Stopwatch.Frequency);
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        accepting = AcceptAsync();
    }

    /// <summary>Where to connect instead of the target: the same paths, through the delay.</summary>
    public Uri BaseAddress { get; }

    public static LatencyProxy Start(Uri target, TimeSpan oneWay) => new(new IPEndPoint(IPAddress.Loopback, target.Port), oneWay);

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ConnectAsync(client);
        }
    }

    private async Task ConnectAsync(Socket client)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        // A failure on either side ends both directions: the other's pending receive or full queue would otherwise wait forever.
        using var broken = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        using (client)
        {
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(target, broken.Token);
                await Task.WhenAll(ForwardAsync(client, server, broken), ForwardAsync(server, client, broken));
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // JobHub was not there
            }
        }
    }

    private async Task ForwardAsync(Socket from, Socket to, CancellationTokenSource broken)
    {
        var chunks = Channel.CreateBounded<(byte[] Data, int Length, long DueAt)>(ChunksInFlight);
        var writing = WriteAsync(chunks.Reader, to, broken);
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, broken.Token);
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                await chunks.Writer.WriteAsync((buffer, read, Stopwatch.GetTimestamp() + delayTicks), broken.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            await broken.CancelAsync();
        }
        finally
        {
            chunks.Writer.TryComplete();
            await writing;
        }
    }

    /// <summary>Writes each chunk once its delay is over; after the last, passes the half-close on, as the sender made it.</summary>
    private static async Task WriteAsync(ChannelReader<(byte[] Data, int Length, long DueAt)> chunks, Socket to, CancellationTokenSource broken)
    {
        try
        {
            await foreach (var (data, length, dueAt) in chunks.ReadAllAsync(broken.Token))
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), dueAt);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, broken.Token);
                }

                await to.SendAsync(data.AsMemory(0, length), SocketFlags.None, broken.Token);
                ArrayPool<byte>.Shared.Return(data);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            await broken.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        stop.Dispose();
    }
}
