namespace JobHub.Tests.Infrastructure;

/// <summary>
/// The test hosts sign in, sign up, submit and check far more often from 127.0.0.1 than a person would: their limits are
/// generous and the check cooldown off, unless a test sets its own (the rate limit tests lower them).
/// </summary>
public static class TestRateLimits
{
    public static readonly IReadOnlyDictionary<string, string?> Generous = new[]
        { "SignIn", "SignInPerAccount", "SignUp", "PasswordReset", "PasswordResetPerAddress", "DataExport", "AccountPassword", "Submit", "Upload", "Check", "Heartbeat", "Api", "Webhook" }
        .Select(rule => KeyValuePair.Create($"JobHub:RateLimits:{rule}:PermitLimit", (string?)"1000000"))
        .Append(KeyValuePair.Create("JobHub:RateLimits:CheckCooldown", (string?)"00:00:00"))
        .ToDictionary();
}
