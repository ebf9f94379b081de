using System.Threading.RateLimiting;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Limits;

/// <summary>A rule's answer: allowed, or refused with how long to wait before asking again.</summary>
public sealed record RateLimitDecision(bool Allowed, TimeSpan RetryAfter)
{
    public static readonly RateLimitDecision Allow = new(true, TimeSpan.Zero);

    /// <summary>Whole seconds, at least one, as <c>Retry-After</c> and the pages say it.</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));
}

/// <summary>A rule and the partition it counts in (a client address, a user, an e-mail).</summary>
public readonly record struct RateLimitKey(string Rule, string Partition)
{
    /// <summary>An IPv6 client counts by its /64: one subscriber usually holds a whole /64, and would otherwise have endless limits.</summary>
    public static RateLimitKey Address(string rule, System.Net.IPAddress? address) => new(rule, PartitionOf(address));

    /// <summary>A partition named by a hash of a value the client chose (an e-mail), so a long value costs no memory.</summary>
    public static RateLimitKey Hashed(string rule, string value) =>
        new(rule, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value))));

    private static string PartitionOf(System.Net.IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes) + "/64";
    }

    public static RateLimitKey User(string rule, Guid userId) => new(rule, userId.ToString("N"));
}

/// <summary>
/// One limiter per rule of <see cref="RateLimitOptions"/>, partitioned by key, shared by the HTTP endpoints (through
/// ASP.NET Core's rate limiting middleware) and the pages' circuits, so that both paths count against one limit.
/// Fixed windows, counted in this process: several instances each allow the limit.
/// </summary>
public sealed class RateLimits : IDisposable
{
    private readonly Dictionary<string, PartitionedRateLimiter<string>> limiters;
    private readonly MemoryCache failures = new(new MemoryCacheOptions { SizeLimit = 200_000 });
    private readonly TimeProvider clock;

    public RateLimits(IOptions<RateLimitOptions> options, TimeProvider? clock = null)
    {
        Options = options.Value;
        this.clock = clock ?? TimeProvider.System;
        var permits = Options.Rules().Where(r => r.Name != nameof(RateLimitOptions.SignInPerAccount)); // counted by TrySignIn
        limiters = permits.ToDictionary(r => r.Name, r => PartitionedRateLimiter.Create<string, string>(partition =>
            RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = r.Rule.PermitLimit,
                Window = r.Rule.Window,
                QueueLimit = 0,
                AutoReplenishment = false, // replenished by the partitioned limiter's own timer: no timer per partition
            })));
    }

    public RateLimitOptions Options { get; }

    /// <summary>Takes one permit from each key in turn; the first refusal answers (permits already taken stay taken).</summary>
    public RateLimitDecision TryAcquire(params ReadOnlySpan<RateLimitKey> keys)
    {
        if (!Options.Enabled)
        {
            return RateLimitDecision.Allow;
        }

        foreach (var key in keys)
        {
            using var lease = limiters[key.Rule].AttemptAcquire(key.Partition);
            if (!lease.IsAcquired)
            {
                return new RateLimitDecision(false, lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1));
            }
        }

        return RateLimitDecision.Allow;
    }

    /// <summary>Whether every key has a permit left, taking none (a refusal's wait is then its whole window, at most).</summary>
    public RateLimitDecision Peek(params ReadOnlySpan<RateLimitKey> keys)
    {
        if (!Options.Enabled)
        {
            return RateLimitDecision.Allow;
        }

        foreach (var key in keys)
        {
            if (limiters[key.Rule].GetStatistics(key.Partition) is { CurrentAvailablePermits: < 1 })
            {
                return new RateLimitDecision(false, Options.Rules().First(r => r.Name == key.Rule).Rule.Window);
            }
        }

        return RateLimitDecision.Allow;
    }

    /// <summary>
    /// A sign-in to this account, counted before it is tried (a burst in parallel cannot pass the count) and forgotten
    /// with every earlier one when it succeeds: in effect at most <see cref="RateLimitOptions.SignInPerAccount"/>'s
    /// number of failures in its window, which starts at the first.
    /// </summary>
    public RateLimitDecision TrySignIn(RateLimitKey account)
    {
        if (!Options.Enabled)
        {
            return RateLimitDecision.Allow;
        }

        var now = clock.GetUtcNow();
        var rule = Options.SignInPerAccount;
        FailureWindow window;
        lock (failures) // two first tries at once must share one window
        {
            window = failures.Get<FailureWindow>(account.Partition) is { } open && open.Ends > now
                ? open
                : failures.Set(account.Partition, new FailureWindow(now + rule.Window),
                    new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = now + rule.Window });
        }

        if (Interlocked.Increment(ref window.Count) <= rule.PermitLimit)
        {
            return RateLimitDecision.Allow;
        }

        Interlocked.Decrement(ref window.Count);
        return new RateLimitDecision(false, window.Ends - now);
    }

    public void SignInSucceeded(RateLimitKey account) => failures.Remove(account.Partition);

    private sealed class FailureWindow(DateTimeOffset ends)
    {
        public readonly DateTimeOffset Ends = ends;
        public int Count;
    }

    /// <summary>The same permits as a <see cref="RateLimiter"/>, for ASP.NET Core's middleware (its partition's limiter).</summary>
    public RateLimiter LimiterFor(params RateLimitKey[] keys) => new SharedLimiter(this, keys);

    public void Dispose()
    {
        failures.Dispose();
        foreach (var limiter in limiters.Values)
        {
            limiter.Dispose();
        }
    }

    /// <summary>A view of the shared limiters: disposing it (the middleware drops idle partitions) disposes nothing shared.</summary>
    private sealed class SharedLimiter(RateLimits limits, RateLimitKey[] keys) : RateLimiter
    {
        private long lastUsed = System.Diagnostics.Stopwatch.GetTimestamp();

        public override TimeSpan? IdleDuration => System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref lastUsed));

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount)
        {
            Volatile.Write(ref lastUsed, System.Diagnostics.Stopwatch.GetTimestamp());
            var decision = limits.TryAcquire(keys);
            return decision.Allowed ? Lease.Acquired : new Lease(false, decision.RetryAfter);
        }

        // The middleware waits here after a refused attempt: with no queue, a refusal again, without taking the permits of
        // the keys before the refusing one a second time.
        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            ValueTask.FromResult(limits.Peek(keys) is { Allowed: false } refused ? new Lease(false, refused.RetryAfter) : AttemptAcquireCore(permitCount));
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
