namespace JobHub.Web.Jobs;

/// <summary>What app.js kept for a zone before it attached: the chosen file, the bytes of it sent, and the endpoint's answer if it came.</summary>
public sealed record KeptFile(PickedFile File, long Sent, UploadAnswer? Answer);

/// <summary>
/// One chosen file's upload, which the browser starts the moment the file is chosen (app.js <c>jobhub.drops.send</c>):
/// the bytes sent so far and the endpoint's answer, as the browser reports them. A run waits on it through
/// <see cref="Item"/>; only the circuit's thread touches it.
/// </summary>
public sealed class BrowserUpload(string inputKey, PickedFile file)
{
    private readonly TaskCompletionSource<UploadAnswer> answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Action<long>? watcher;

    public string InputKey => inputKey;
    public PickedFile File => file;
    public long Sent { get; private set; }

    /// <summary>The endpoint's answer; null while the file is still being sent.</summary>
    public UploadAnswer? Answer => answered.Task.IsCompletedSuccessfully ? answered.Task.Result : null;

    /// <summary>Whether the endpoint refused the file (its reason is in <see cref="Answer"/>).</summary>
    public bool Refused => Answer is { UploadId: null };

    public double Progress => Answer is not null ? 1 : file.Size <= 0 ? 0 : Math.Min(1, (double)Sent / file.Size);

    public void Report(long sent)
    {
        Sent = Math.Min(sent, file.Size);
        watcher?.Invoke(Sent);
    }

    public void Complete(UploadAnswer answer)
    {
        if (answered.TrySetResult(answer))
        {
            Sent = file.Size;
            watcher?.Invoke(Sent);
        }
    }

    /// <summary>The file as a run takes it: waiting for the answer (at once when it came), the bytes sent reported meanwhile.</summary>
    public UploadItem Item => new(inputKey, file.Name, file.Size, file.ContentType, async (progress, cancellationToken) =>
    {
        watcher = progress;
        progress(Sent);
        return await answered.Task.WaitAsync(cancellationToken);
    });
}
