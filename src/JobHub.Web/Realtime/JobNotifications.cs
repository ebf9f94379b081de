using System.Collections.Concurrent;
using System.Globalization;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Slots;

namespace JobHub.Web.Realtime;

/// <summary>
/// The in-process fan-out of job changes, fed by <see cref="JobChangeListener"/>, in the shape of eShop's
/// OrderStatusNotificationService: subscribe for one user's jobs (or all), <c>InvokeAsync(StateHasChanged)</c> from the
/// callback, dispose with the component. <see cref="JobChange.Resync"/> after a reconnection means: reload.
/// </summary>
public sealed class JobNotifications(ILogger<JobNotifications> logger)
{
    private readonly ConcurrentDictionary<Subscription, byte> subscriptions = new();

    /// <param name="userId">Only this user's jobs; null for every job.</param>
    public IDisposable Subscribe(Guid? userId, Func<JobChange, Task> callback)
    {
        var subscription = new Subscription(this, userId, callback, CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        subscriptions[subscription] = 0;
        return subscription;
    }

    public Task PublishAsync(JobChange change)
    {
        var targets = subscriptions.Keys.Where(s => change.IsResync || s.UserId is null || s.UserId == change.UserId).ToList();
        return targets.Count == 0 ? Task.CompletedTask : Task.WhenAll(targets.Select(target => DeliverAsync(target, change)));
    }

    private async Task DeliverAsync(Subscription subscription, JobChange change)
    {
        try
        {
            // The callback runs on the listener's thread; what it renders is in the language of the page that subscribed.
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (subscription.Culture, subscription.UICulture);
            await subscription.Callback(change);
        }
        catch (Exception ex)
        {
            // One broken page must not stop the others' updates.
            logger.LogWarning(ex, "A job change subscriber failed");
        }
    }

    private sealed class Subscription(JobNotifications owner, Guid? userId, Func<JobChange, Task> callback, CultureInfo culture, CultureInfo uiCulture)
        : IDisposable
    {
        public Guid? UserId { get; } = userId;
        public Func<JobChange, Task> Callback { get; } = callback;
        public CultureInfo Culture { get; } = culture;
        public CultureInfo UICulture { get; } = uiCulture;

        public void Dispose() => owner.subscriptions.TryRemove(this, out _);
    }
}

/// <summary>A job changed (its id, owner and new status), or, with <see cref="IsResync"/>, "reload: changes may have been missed".</summary>
public sealed record JobChange(Guid JobId, Guid UserId, string Status)
{
    public static readonly JobChange Resync = new(Guid.Empty, Guid.Empty, "");

    public bool IsResync => JobId == Guid.Empty;

    public static JobChange From(JobChanged changed) => new(changed.JobId, changed.UserId, changed.Status);
}

/// <summary>
/// Live queue positions for every page showing a queued job, whoever's job moved the queue: on each change that
/// enters or leaves the queue, one read of all watched jobs' positions (changes arriving meanwhile are folded into
/// one more read), then each page gets its new position on the same change.
/// </summary>
public sealed class QueuePositionFeed(QueueView queue, ILogger<QueuePositionFeed> logger)
{
    private readonly ConcurrentDictionary<Watcher, byte> watchers = new();
    private readonly SemaphoreSlim reading = new(1, 1);
    private int pending;

    /// <summary>Calls <paramref name="onPosition"/> with the job's position after every queue change (null: no longer queued).</summary>
    public IDisposable Watch(Guid jobId, Func<int?, Task> onPosition)
    {
        var watcher = new Watcher(this, jobId, onPosition);
        watchers[watcher] = 0;
        return watcher;
    }

    public async Task QueueChangedAsync()
    {
        if (watchers.IsEmpty)
        {
            return;
        }

        Interlocked.Exchange(ref pending, 1);
        await reading.WaitAsync();
        try
        {
            while (Interlocked.Exchange(ref pending, 0) == 1)
            {
                var targets = watchers.Keys.ToList();
                var positions = await queue.PositionsAsync(targets.Select(t => t.JobId).Distinct().ToList());
                await Task.WhenAll(targets.Select(t => DeliverAsync(t, positions.TryGetValue(t.JobId, out var p) ? p : null)));
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not read the queue positions (the pages' poll will catch up)");
        }
        finally
        {
            reading.Release();
        }
    }

    private async Task DeliverAsync(Watcher watcher, int? position)
    {
        try
        {
            await watcher.OnPosition(position);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "A queue position subscriber failed");
        }
    }

    private sealed class Watcher(QueuePositionFeed owner, Guid jobId, Func<int?, Task> onPosition) : IDisposable
    {
        public Guid JobId { get; } = jobId;
        public Func<int?, Task> OnPosition { get; } = onPosition;

        public void Dispose() => owner.watchers.TryRemove(this, out _);
    }
}
