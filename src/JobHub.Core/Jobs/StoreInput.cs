using JobHub.Core.Limits;
using JobHub.Core.Storage;
using JobHub.Core.Tools;

namespace JobHub.Core.Jobs;

public sealed record StoreInputResult(StoredInput? Input, string? ErrorCode, string? ErrorMessage)
{
    /// <summary>The values in the refusal (what the file is, and the limit), for the page to word in its language.</summary>
    public IReadOnlyList<string> ErrorArguments { get; init; } = [];

    /// <summary>When a person's upload bound refused it: how long until the window has room again.</summary>
    public TimeSpan? RetryAfter { get; init; }
}

/// <summary>
/// R9: an input is checked by its content and stored by JobHub, under a generated name, before any job
/// exists; the job later refers to it and the launcher uploads it to RunningHub. A person's uploads count against
/// their bound (<see cref="UploadQuota"/>); decoding and scaling run under <see cref="ImageWork"/>'s bound.
/// </summary>
public sealed class StoreInput(ToolCatalog catalog, IFileStorage storage, UploadQuota quota, ImageWork imageWork)
{
    /// <summary>A person's upload: refused, with nothing stored, once their files or bytes in the window reach the bound.</summary>
    public async Task<StoreInputResult> HandleAsync(Guid userId, string toolKey, string inputKey, Stream content, string? originalName,
        long maxReadBytes, CancellationToken cancellationToken) =>
        await quota.CheckAsync(userId, cancellationToken) is { } full
            ? full
            : await StoreAsync(userId, toolKey, inputKey, content, originalName, maxReadBytes, cancellationToken);

    /// <summary>An input JobHub stores for nobody's account (benchmarks and engine tests): no upload bound.</summary>
    public Task<StoreInputResult> HandleAsync(string toolKey, string inputKey, Stream content, string? originalName, long maxReadBytes,
        CancellationToken cancellationToken) =>
        StoreAsync(null, toolKey, inputKey, content, originalName, maxReadBytes, cancellationToken);

    private async Task<StoreInputResult> StoreAsync(Guid? userId, string toolKey, string inputKey, Stream content, string? originalName,
        long maxReadBytes, CancellationToken cancellationToken)
    {
        var input = catalog.Find(toolKey)?.Inputs.FirstOrDefault(i => i.Key == inputKey);
        if (input is null)
        {
            return new(null, SubmitErrors.InputInvalid, $"The tool '{toolKey}' has no input '{inputKey}'.");
        }

        // Read at most one byte past the limit, so an oversized upload is refused without reading it all.
        using var buffer = new MemoryStream();
        var limit = Math.Min(maxReadBytes, input.MaxBytes) + 1;
        var chunk = new byte[81920];
        int read;
        while (buffer.Length < limit && (read = await content.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        var (info, rejection) = await imageWork.RunAsync(() => MediaInspector.Inspect(buffer, buffer.Length, input), cancellationToken);
        if (rejection is not null)
        {
            return new(null, rejection.Code, rejection.Message) { ErrorArguments = rejection.Arguments };
        }

        Guid? reservation = null;
        if (userId is { } owner)
        {
            var (reserved, refused) = await quota.ReserveAsync(owner, buffer.Length, cancellationToken);
            if (refused is not null)
            {
                return refused;
            }

            reservation = reserved;
        }

        try
        {
            return new(await SaveAsync(input, info!, buffer, inputKey, originalName, cancellationToken), null, null);
        }
        catch when (reservation is { } unused)
        {
            await quota.ReleaseAsync(unused);
            throw;
        }
    }

    private async Task<StoredInput> SaveAsync(InputDefinition input, MediaInfo info, MemoryStream buffer, string inputKey, string? originalName,
        CancellationToken cancellationToken)
    {
        buffer.Position = 0;
        var storedName = await storage.SaveAsync("inputs", buffer, info.Extension, cancellationToken);
        var safeName = originalName is null ? null : Path.GetFileName(originalName) is var name && name.Length > 200 ? name[..200] : name;
        var stored = new StoredInput(inputKey, storedName, info.MimeType, buffer.Length, info.Width, info.Height, info.DurationSeconds, safeName);
        if (input.Kind == InputKinds.Image && input.ScaleToLongestSide > 0 && Math.Max(info.Width, info.Height) > input.ScaleToLongestSide)
        {
            // Scaled here, once, not at launch: launching must stay immediate when a slot frees.
            buffer.Position = 0;
            var scaled = await imageWork.RunAsync(() => ImageScaling.ToLongestSide(buffer, info.MimeType, input.ScaleToLongestSide), cancellationToken);
            using var scaledContent = new MemoryStream(scaled.Content);
            var scaledName = await storage.SaveAsync("inputs", scaledContent, info.Extension, cancellationToken);
            stored = stored with { ScaledName = scaledName, ScaledWidth = scaled.Width, ScaledHeight = scaled.Height };
        }

        return stored;
    }
}
