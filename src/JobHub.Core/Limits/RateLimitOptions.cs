using System.ComponentModel.DataAnnotations;

namespace JobHub.Core.Limits;

/// <summary>One limit: at most <see cref="PermitLimit"/> requests in each fixed <see cref="Window"/>, per partition.</summary>
public sealed class RateLimitRule
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; }

    public static RateLimitRule Of(int permitLimit, TimeSpan window) => new() { PermitLimit = permitLimit, Window = window };
}

/// <summary>
/// The rate limits (section <c>JobHub:RateLimits</c>): each rule's partition is named where it is used
/// (<see cref="RateLimits"/>); the client address is the one the forwarded-headers middleware left, so only from known proxies.
/// </summary>
public sealed class RateLimitOptions : IValidatableObject
{
    public const string Section = "JobHub:RateLimits";

    /// <summary>Off only for benchmarks that drive thousands of requests from one address; on in every real deployment.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Sign-in attempts per client address, whatever the account (password spraying).</summary>
    public RateLimitRule SignIn { get; set; } = RateLimitRule.Of(10, TimeSpan.FromMinutes(5));

    /// <summary>
    /// Failed sign-ins per e-mail address, from any client, counted from the first failure (Identity's lockout counts
    /// only accounts that exist); a success forgets them.
    /// </summary>
    public RateLimitRule SignInPerAccount { get; set; } = RateLimitRule.Of(10, TimeSpan.FromMinutes(15));

    /// <summary>Accounts created per client address: each one is a credit grant.</summary>
    public RateLimitRule SignUp { get; set; } = RateLimitRule.Of(5, TimeSpan.FromHours(1));

    /// <summary>Password reset requests per client address.</summary>
    public RateLimitRule PasswordReset { get; set; } = RateLimitRule.Of(5, TimeSpan.FromMinutes(15));

    /// <summary>Password reset requests per e-mail address, from any client: each one may be a mail to someone else's inbox.</summary>
    public RateLimitRule PasswordResetPerAddress { get; set; } = RateLimitRule.Of(3, TimeSpan.FromHours(1));

    /// <summary>Downloads of a person's own data per user: each one reads every job and ledger row they have.</summary>
    public RateLimitRule DataExport { get; set; } = RateLimitRule.Of(10, TimeSpan.FromHours(1));

    /// <summary>Passwords tried while signed in, per user (change password, confirm a deletion): no guessing from an open session.</summary>
    public RateLimitRule AccountPassword { get; set; } = RateLimitRule.Of(10, TimeSpan.FromMinutes(15));
    /// <summary>Confirmation mails asked for again per account (each one is a mail sent in JobHub's name).</summary>
    public RateLimitRule ConfirmationMail { get; set; } = RateLimitRule.Of(3, TimeSpan.FromMinutes(15));

    /// <summary>Job submissions per user, from the pages and the API together.</summary>
    public RateLimitRule Submit { get; set; } = RateLimitRule.Of(10, TimeSpan.FromMinutes(1));

    /// <summary>Files sent to the upload endpoint per user (a run sends one per input; a refused file is sent again).</summary>
    public RateLimitRule Upload { get; set; } = RateLimitRule.Of(30, TimeSpan.FromMinutes(1));

    /// <summary>"Check status now" per user, from the pages and the API together.</summary>
    public RateLimitRule Check { get; set; } = RateLimitRule.Of(10, TimeSpan.FromMinutes(1));

    /// <summary>A running job asked of RunningHub less than this long ago (by anyone) is not asked again for a user.</summary>
    public TimeSpan CheckCooldown { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Queue heartbeats per user (an open page sends one every 15 s; a few tabs fit).</summary>
    public RateLimitRule Heartbeat { get; set; } = RateLimitRule.Of(30, TimeSpan.FromMinutes(1));

    /// <summary>Every request to the jobs API per user (a script following its job reads it every few seconds).</summary>
    public RateLimitRule Api { get; set; } = RateLimitRule.Of(300, TimeSpan.FromMinutes(1));

    /// <summary>Webhook deliveries per client address: generous, RunningHub retries and sends every account's from few addresses.</summary>
    public RateLimitRule Webhook { get; set; } = RateLimitRule.Of(1200, TimeSpan.FromMinutes(1));

    public IEnumerable<(string Name, RateLimitRule Rule)> Rules() =>
    [
        (nameof(SignIn), SignIn), (nameof(SignInPerAccount), SignInPerAccount), (nameof(SignUp), SignUp),
        (nameof(PasswordReset), PasswordReset), (nameof(PasswordResetPerAddress), PasswordResetPerAddress),
        (nameof(DataExport), DataExport), (nameof(AccountPassword), AccountPassword), (nameof(ConfirmationMail), ConfirmationMail),
        (nameof(Submit), Submit), (nameof(Upload), Upload), (nameof(Check), Check), (nameof(Heartbeat), Heartbeat), (nameof(Api), Api),
        (nameof(Webhook), Webhook),
    ];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, rule) in Rules())
        {
            if (rule.PermitLimit < 1 || rule.PermitLimit > 1_000_000)
            {
                yield return new ValidationResult($"RateLimits:{name}:PermitLimit must be between 1 and 1,000,000 (was {rule.PermitLimit}).");
            }

            if (rule.Window < TimeSpan.FromSeconds(1) || rule.Window > TimeSpan.FromDays(1))
            {
                yield return new ValidationResult($"RateLimits:{name}:Window must be between 1 second and 1 day (was {rule.Window}).");
            }
        }

        if (CheckCooldown < TimeSpan.Zero || CheckCooldown > TimeSpan.FromMinutes(10))
        {
            yield return new ValidationResult($"RateLimits:CheckCooldown must be between 0 and 10 minutes (was {CheckCooldown}).");
        }
    }
}
