namespace JobHub.Core.Storage;

/// <summary>A read-only stream of bytes already read (a file's start, read to tell its format) followed by the rest of the source.</summary>
public sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
{
    private ReadOnlyMemory<byte> prefix = prefix;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => prefix.IsEmpty ? rest.Read(buffer) : TakePrefix(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        prefix.IsEmpty ? rest.ReadAsync(buffer, cancellationToken) : ValueTask.FromResult(TakePrefix(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int TakePrefix(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, prefix.Length);
        prefix.Span[..n].CopyTo(buffer);
        prefix = prefix[n..];
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
