using System.Collections.Concurrent;
using JobHub.Core.Jobs;

namespace JobHub.Web.Realtime;

/// <summary>
/// The in-process fan-out of job changes (the <see cref="JobChangeListener"/> feeds it from PostgreSQL NOTIFY),
/// in the shape of eShop's OrderStatusNotificationService: a component subscribes for one user's jobs (or all,
/// for the admin dashboard), calls <c>InvokeAsync(StateHasChanged)</c> from the callback, and disposes the
/// subscription with itself. After the listener reconnects, every subscriber gets <see cref="JobChange.Resync"/>:
/// changes may have been missed, reload.
/// </summary>
public sealed class JobNotifications(ILogger<JobNotifications> logger)
{
    private readonly ConcurrentDictionary<Subscription, byte> subscriptions = new();

    /// <param name="userId">Only this user's jobs; null for every job.</param>
    public IDisposable Subscribe(Guid? userId, Func<JobChange, Task> callback)
    {
        var subscription = new Subscription(this, userId, callback);
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
            await subscription.Callback(change);
        }
        catch (Exception ex)
        {
            // One broken page must not stop the others' updates.
            logger.LogWarning(ex, "A job change subscriber failed");
        }
    }

    private sealed class Subscription(JobNotifications owner, Guid? userId, Func<JobChange, Task> callback) : IDisposable
    {
        public Guid? UserId { get; } = userId;
        public Func<JobChange, Task> Callback { get; } = callback;

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
