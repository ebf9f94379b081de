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

    /// <summary>A person's stored upload: the id a job submitted later names it by (<see cref="SubmitJobRequest.Uploads"/>).</summary>
    public Guid? UploadId { get; init; }
}

/// <summary>
/// R9: an input is checked by its content and stored under a generated name before any job exists, counted against the
/// person's bound (<see cref="UploadQuota"/>) and decoded under <see cref="ImageWork"/>'s. It is received into a file on
/// this host's disk, checked there and moved into place: never held whole in memory.
/// </summary>
public sealed class StoreInput(ToolCatalog catalog, IFileStorage storage, UploadQuota quota, UploadedInputs uploads, ImageWork imageWork)
{
    /// <summary>A person's upload: refused, with nothing stored, once their files or bytes in the window reach the bound.</summary>
    public async Task<StoreInputResult> HandleAsync(Guid userId, string toolKey, string inputKey, Stream content, string? originalName,
        long maxReadBytes, CancellationToken cancellationToken)
    {
        if (Find(toolKey, inputKey) is not { } input)
        {
            return NoSuchInput(toolKey, inputKey);
        }

        if (await quota.CheckAsync(userId, cancellationToken) is { } full)
        {
            return full;
        }

        await using var received = await ReceiveAsync(input, content, maxReadBytes, cancellationToken);
        return await StoreAsync(userId, toolKey, input, received, originalName, cancellationToken);
    }

    /// <summary>A person's upload already received (<see cref="ReceiveAsync"/>): checked, counted against their bound, moved into place.</summary>
    public async Task<StoreInputResult> HandleAsync(Guid userId, string toolKey, string inputKey, ReceivedFile received, string? originalName,
        CancellationToken cancellationToken) =>
        Find(toolKey, inputKey) is { } input
            ? await StoreAsync(userId, toolKey, input, received, originalName, cancellationToken)
            : NoSuchInput(toolKey, inputKey);

    /// <summary>An input JobHub stores for nobody's account (benchmarks and engine tests): no upload bound.</summary>
    public async Task<StoreInputResult> HandleAsync(string toolKey, string inputKey, Stream content, string? originalName, long maxReadBytes,
        CancellationToken cancellationToken)
    {
        if (Find(toolKey, inputKey) is not { } input)
        {
            return NoSuchInput(toolKey, inputKey);
        }

        await using var received = await ReceiveAsync(input, content, maxReadBytes, cancellationToken);
        return await StoreAsync(null, toolKey, input, received, originalName, cancellationToken);
    }

    /// <summary>
    /// Writes the content to a file of its own, reading at most one byte past the input's limit (and
    /// <paramref name="maxReadBytes"/>), so that an oversized upload is refused without reading it all.
    /// </summary>
    public Task<ReceivedFile> ReceiveAsync(InputDefinition input, Stream content, long maxReadBytes, CancellationToken cancellationToken) =>
        storage.ReceiveAsync(content, Math.Min(maxReadBytes, input.MaxBytes) + 1, cancellationToken);

    /// <summary>Undoes a person's stored upload that no job will use (its request was refused after it): its files and its count.</summary>
    public async Task DiscardAsync(StoreInputResult stored)
    {
        foreach (var name in stored.Input?.Files ?? [])
        {
            await storage.DeleteAsync(name);
        }

        if (stored.UploadId is { } id)
        {
            await quota.ReleaseAsync(id);
        }
    }

    public InputDefinition? Find(string toolKey, string inputKey) => catalog.Find(toolKey)?.Inputs.FirstOrDefault(i => i.Key == inputKey);

    private static StoreInputResult NoSuchInput(string toolKey, string inputKey) =>
        new(null, SubmitErrors.InputInvalid, $"The tool '{toolKey}' has no input '{inputKey}'.") { ErrorArguments = [inputKey] };

    private async Task<StoreInputResult> StoreAsync(Guid? userId, string toolKey, InputDefinition input, ReceivedFile received, string? originalName,
        CancellationToken cancellationToken)
    {
        var (info, rejection) = await imageWork.RunAsync(() =>
        {
            using var content = received.OpenRead();
            return MediaInspector.Inspect(content, received.Length, input);
        }, cancellationToken);
        if (rejection is not null)
        {
            return new(null, rejection.Code, rejection.Message) { ErrorArguments = rejection.Arguments };
        }

        Guid? reservation = null;
        if (userId is { } owner)
        {
            var (reserved, refused) = await quota.ReserveAsync(owner, received.Length, cancellationToken);
            if (refused is not null)
            {
                return refused;
            }

            reservation = reserved;
        }

        try
        {
            var stored = await SaveAsync(input, info!, received, originalName, cancellationToken);
            if (reservation is { } id)
            {
                await uploads.RecordAsync(id, toolKey, stored, cancellationToken);
            }

            return new(stored, null, null) { UploadId = reservation };
        }
        catch when (reservation is { } unused)
        {
            await quota.ReleaseAsync(unused);
            throw;
        }
    }

    private async Task<StoredInput> SaveAsync(InputDefinition input, MediaInfo info, ReceivedFile received, string? originalName,
        CancellationToken cancellationToken)
    {
        ScaledImage? scaled = null;
        if (input.Kind == InputKinds.Image && input.ScaleToLongestSide > 0 && Math.Max(info.Width, info.Height) > input.ScaleToLongestSide)
        {
            // Scaled here, once, not at launch: launching must stay immediate when a slot frees.
            scaled = await imageWork.RunAsync(() =>
            {
                using var original = received.OpenRead();
                return ImageScaling.ToLongestSide(original, info.MimeType, input.ScaleToLongestSide);
            }, cancellationToken);
        }

        var storedName = await received.MoveIntoPlaceAsync("inputs", info.Extension, cancellationToken);
        var safeName = originalName is null ? null : Path.GetFileName(originalName) is var name && name.Length > 200 ? name[..200] : name;
        var stored = new StoredInput(input.Key, storedName, info.MimeType, received.Length, info.Width, info.Height, info.DurationSeconds, safeName);
        try
        {
            if (scaled is not null)
            {
                using var scaledContent = new MemoryStream(scaled.Content, writable: false);
                var scaledName = await storage.SaveAsync("inputs", scaledContent, info.Extension, cancellationToken);
                stored = stored with { ScaledName = scaledName, ScaledWidth = scaled.Width, ScaledHeight = scaled.Height };
            }

            return stored;
        }
        catch
        {
            await storage.DeleteAsync(storedName, CancellationToken.None); // refused or cut short after the move: nothing of it stays
            throw;
        }
    }
}
