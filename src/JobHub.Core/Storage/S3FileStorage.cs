using System.Buffers;
using System.Net;
using System.Runtime.InteropServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace JobHub.Core.Storage;

/// <summary>
/// Files in a private S3 bucket (AWS S3, R2, MinIO, Ceph) that every host sees, streamed both ways: a write returns once its
/// object is complete (then durable), a read streams from any offset; browsers reach files only through JobHub's endpoints.
/// </summary>
public sealed class S3FileStorage : IFileStorage, IDisposable
{
    private readonly AmazonS3Client client;
    private readonly string bucket;
    private readonly string prefix;
    private readonly int partSize;
    private readonly string where;
    private readonly ILogger<S3FileStorage> logger;

    public S3FileStorage(IOptions<StorageOptions> options, ILogger<S3FileStorage> logger)
    {
        var s3 = options.Value.S3;
        var config = new AmazonS3Config
        {
            ForcePathStyle = s3.ForcePathStyle,
            // Checksums only where the API requires one: several S3-compatible services refuse the SDK's default trailers.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 2,
        };
        if (string.IsNullOrWhiteSpace(s3.ServiceUrl))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(s3.Region);
        }
        else
        {
            config.ServiceURL = s3.ServiceUrl;
            config.AuthenticationRegion = string.IsNullOrWhiteSpace(s3.Region) ? "us-east-1" : s3.Region;
        }

        client = new AmazonS3Client(new BasicAWSCredentials(s3.AccessKey, s3.SecretKey), config);
        bucket = s3.Bucket!;
        prefix = string.IsNullOrEmpty(s3.Prefix) ? "" : s3.Prefix.TrimEnd('/') + "/";
        partSize = s3.PartSizeMiB * 1024 * 1024;
        where = $"bucket '{bucket}' at {(string.IsNullOrWhiteSpace(s3.ServiceUrl) ? "AWS " + s3.Region : s3.ServiceUrl)}";
        this.logger = logger;
        logger.LogInformation("Files are stored in the S3 {Where}, under '{Prefix}'", where, prefix);
    }

    public async Task<string> SaveAsync(string area, Stream content, string extension, CancellationToken cancellationToken)
    {
        var storedName = StoredNames.New(area, extension);
        await UploadAsync(Key(storedName), content, cancellationToken);
        return storedName;
    }

    public async Task<ReceivedFile> ReceiveAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var received = SpooledFile.Create(this);
        try
        {
            await received.WriteAsync(content, maxBytes, cancellationToken);
            return received;
        }
        catch
        {
            await received.DisposeAsync();
            throw;
        }
    }

    public async Task<Stream> OpenReadAsync(string storedName, CancellationToken cancellationToken)
    {
        var key = Key(storedName);
        var head = await HeadAsync(key, cancellationToken) ?? throw new FileNotFoundException("There is no stored file of that name.", storedName);
        return new ObjectStream(this, key, head.ContentLength, head.ETag);
    }

    public async Task<bool> ExistsAsync(string storedName, CancellationToken cancellationToken) =>
        await HeadAsync(Key(storedName), cancellationToken) is not null;

    public async Task<bool> SaveAtAsync(string storedName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var key = Key(storedName);
        if (await HeadAsync(key, cancellationToken) is not null)
        {
            return false;
        }

        // A single put is whole or nothing. If-None-Match makes it conditional where the service supports it (AWS, R2, MinIO,
        // Ceph); one that ignores it lets the last of two writers win, with the same content derived from the same file.
        return await PutAsync(key, content, ifNoneMatch: true, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string storedName, CancellationToken cancellationToken)
    {
        var key = Key(storedName);
        // S3 answers a delete alike whether the object was there or not: the head tells the callers' counts.
        if (await HeadAsync(key, cancellationToken) is null)
        {
            return false;
        }

        await CallAsync("delete a file", () => client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }, cancellationToken), cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<string>> ListOlderThanAsync(string area, DateTime before, int limit, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix + StoredNames.Folder(area) };
        var names = new List<string>();
        while (names.Count < limit)
        {
            var page = await CallAsync("list files", () => client.ListObjectsV2Async(request, cancellationToken), cancellationToken);
            names.AddRange((page.S3Objects ?? []).Where(item => item.LastModified?.ToUniversalTime() < before.ToUniversalTime())
                .Select(item => item.Key[prefix.Length..]).Take(limit - names.Count));
            if (page.IsTruncated != true)
            {
                break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }

        return names;
    }

    public void Dispose() => client.Dispose();

    private string Key(string storedName) => prefix + StoredNames.Check(storedName);

    /// <summary>
    /// Up in one put when the content fits in a part; otherwise as a multipart upload, one part in memory at a time, aborted
    /// when the content or the service fails half-way so that no object appears.
    /// </summary>
    private async Task UploadAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(partSize);
        try
        {
            var filled = await content.ReadAtLeastAsync(buffer.AsMemory(0, partSize), partSize, throwOnEndOfStream: false, cancellationToken);
            if (filled < partSize)
            {
                await PutAsync(key, buffer.AsMemory(0, filled), ifNoneMatch: false, cancellationToken);
                return;
            }

            var upload = await CallAsync("start an upload",
                () => client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }, cancellationToken), cancellationToken);
            try
            {
                var parts = new List<PartETag>();
                while (filled > 0)
                {
                    var number = parts.Count + 1;
                    var part = await CallAsync("store a part", () => client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = bucket,
                        Key = key,
                        UploadId = upload.UploadId,
                        PartNumber = number,
                        InputStream = new MemoryStream(buffer, 0, filled, writable: false),
                        UseChunkEncoding = false,
                    }, cancellationToken), cancellationToken);
                    parts.Add(new PartETag(number, part.ETag));
                    filled = await content.ReadAtLeastAsync(buffer.AsMemory(0, partSize), partSize, throwOnEndOfStream: false, cancellationToken);
                }

                await CallAsync("finish an upload", () => client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                {
                    BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = parts,
                }, cancellationToken), cancellationToken);
            }
            catch
            {
                await AbortAsync(key, upload.UploadId);
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task AbortAsync(string key, string uploadId)
    {
        try
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, CancellationToken.None);
        }
        catch (Exception ex) when (IsServiceFailure(ex))
        {
            // No object is made of the parts; the bucket's rule for incomplete multipart uploads removes them (docs/operations.md).
            logger.LogWarning("Could not abort the upload of {Key} in the S3 {Where}: {Error}", key, where, ex.Message);
        }
    }

    /// <returns>False when <paramref name="ifNoneMatch"/> and the object was there already.</returns>
    private Task<bool> PutAsync(string key, ReadOnlyMemory<byte> content, bool ifNoneMatch, CancellationToken cancellationToken) =>
        CallAsync("store a file", async () =>
        {
            var bytes = MemoryMarshal.TryGetArray(content, out var segment) ? segment : new ArraySegment<byte>(content.ToArray());
            try
            {
                await client.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = bucket,
                    Key = key,
                    InputStream = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false),
                    UseChunkEncoding = false,
                    IfNoneMatch = ifNoneMatch ? "*" : null,
                }, cancellationToken);
                return true;
            }
            catch (AmazonS3Exception ex) when (ifNoneMatch && ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
            {
                return false;
            }
        }, cancellationToken);

    private Task<GetObjectMetadataResponse?> HeadAsync(string key, CancellationToken cancellationToken) =>
        CallAsync("answer", async () =>
        {
            try
            {
                return await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);

    /// <summary>The object's bytes from <paramref name="from"/> to its end, as long as it is still the one opened (its ETag).</summary>
    private Task<GetObjectResponse> GetAsync(string key, long from, long length, string? etag, CancellationToken cancellationToken) =>
        CallAsync("read a file", async () =>
        {
            try
            {
                return await client.GetObjectAsync(new GetObjectRequest
                {
                    BucketName = bucket, Key = key, ByteRange = new ByteRange(from, length - 1), EtagToMatch = etag,
                }, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new FileNotFoundException("The stored file was deleted while it was read.", key);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw new IOException("The stored file changed while it was read.");
            }
        }, cancellationToken);

    /// <summary>A call to the service; its failure (down, refused, keys wrong) becomes <see cref="StorageUnavailableException"/>, logged without the keys.</summary>
    private async Task<T> CallAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (IsServiceFailure(ex) || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("The S3 {Where} did not {What}: {Error}", where, what, ex.Message);
            throw new StorageUnavailableException($"The file store (S3 {where}) did not {what}: {ex.Message}", ex);
        }
    }

    private static bool IsServiceFailure(Exception ex) => ex is AmazonServiceException or AmazonClientException or HttpRequestException;

    /// <summary>
    /// A seekable read of an object: its bytes come from a request opened at the current position, read on as long as the
    /// reader does, and opened again only after a seek elsewhere (a short one forward is read through).
    /// </summary>
    private sealed class ObjectStream(S3FileStorage storage, string key, long length, string? etag) : Stream
    {
        private const long ReadThroughLimit = 256 * 1024;
        private GetObjectResponse? response;
        private long bodyPosition;
        private long position;
        private byte[]? skipped;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => position;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            var target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => position + offset,
                SeekOrigin.End => length + offset,
                _ => throw new ArgumentOutOfRangeException(nameof(origin)),
            };
            position = target >= 0 ? target : throw new IOException("A seek before the start of the file.");
            return position;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0 || position >= length)
            {
                return 0;
            }

            var body = await BodyAtPositionAsync(cancellationToken);
            return Advance(await body.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - position)], cancellationToken));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.Length == 0 || position >= length)
            {
                return 0;
            }

            // The image decoders and the metadata reader read synchronously: opening a request for them blocks their thread,
            // off the caller's synchronization context (a circuit's), which the request's continuation must not wait for.
            var body = Task.Run(() => BodyAtPositionAsync(CancellationToken.None).AsTask()).GetAwaiter().GetResult();
            return Advance(body.Read(buffer[..(int)Math.Min(buffer.Length, length - position)]));
        }

        private int Advance(int read)
        {
            if (read == 0)
            {
                throw new IOException($"The stored file ended after {position} of its {length} bytes.");
            }

            position += read;
            bodyPosition += read;
            return read;
        }

        private async ValueTask<Stream> BodyAtPositionAsync(CancellationToken cancellationToken)
        {
            if (response is not null && position >= bodyPosition && position - bodyPosition <= ReadThroughLimit)
            {
                skipped ??= new byte[81920];
                while (bodyPosition < position)
                {
                    var read = await response.ResponseStream.ReadAsync(skipped.AsMemory(0, (int)Math.Min(skipped.Length, position - bodyPosition)), cancellationToken);
                    bodyPosition += read > 0 ? read : throw new IOException($"The stored file ended after {bodyPosition} of its {length} bytes.");
                }

                return response.ResponseStream;
            }

            response?.Dispose();
            response = null;
            response = await storage.GetAsync(key, position, length, etag, cancellationToken);
            bodyPosition = position;
            return response.ResponseStream;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                response?.Dispose();
                response = null;
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// An upload received on this host's disk, where its checks read it back and seek in it; moved into place by uploading
    /// it. Its name is unlinked as soon as it is open, so a crash leaves nothing behind.
    /// </summary>
    private sealed class SpooledFile(S3FileStorage storage, SafeFileHandle handle) : ReceivedFile
    {
        public static SpooledFile Create(S3FileStorage storage)
        {
            var path = Path.Combine(Path.GetTempPath(), $"jobhub-receiving-{Guid.NewGuid():N}.part");
            var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete,
                OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None);
            if (!OperatingSystem.IsWindows())
            {
                File.Delete(path);
            }

            return new SpooledFile(storage, handle);
        }

        public Task WriteAsync(Stream content, long maxBytes, CancellationToken cancellationToken) =>
            CopyInAsync(content, maxBytes, (chunk, offset, token) => RandomAccess.WriteAsync(handle, chunk, offset, token), cancellationToken);

        public override Stream OpenRead() => new HandleStream(handle, Length);

        protected override async Task<string> PlaceAsync(string storedName, CancellationToken cancellationToken)
        {
            await using var content = OpenRead();
            await storage.UploadAsync(storage.Key(storedName), content, cancellationToken);
            return storedName;
        }

        public override ValueTask DisposeAsync()
        {
            handle.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A read of the spooled file of its own position; the file stays open for the next one.</summary>
    private sealed class HandleStream(SafeFileHandle handle, long length) : Stream
    {
        private long position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => position;
            set => position = value >= 0 ? value : throw new IOException("A seek before the start of the file.");
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            SeekOrigin.End => length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = position >= length ? 0 : RandomAccess.Read(handle, buffer[..(int)Math.Min(buffer.Length, length - position)], position);
            position += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = position >= length ? 0 : await RandomAccess.ReadAsync(handle, buffer[..(int)Math.Min(buffer.Length, length - position)], position, cancellationToken);
            position += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
