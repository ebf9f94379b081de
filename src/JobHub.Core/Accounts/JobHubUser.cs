using Microsoft.AspNetCore.Identity;

namespace JobHub.Core.Accounts;

/// <summary>
/// An account: ASP.NET Core Identity's user (EF Core stores) with the person's language (chosen at sign-up, the language of
/// its mails), the time it was made and the credit balance. The balance is written only by the ledger's statements (<c>Credits/CreditLedger.cs</c>), never
/// by Identity's updates, so a stale copy of a user can never overwrite a newer balance.
/// </summary>
public sealed class JobHubUser : IdentityUser<Guid>
{
    public JobHubUser()
    {
        Id = Guid.CreateVersion7();
        SecurityStamp = Guid.NewGuid().ToString("N");
    }

    public string Culture { get; set; } = "pt-BR";
    public int CreditBalance { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>When the person deleted the account (<c>DeleteAccount</c>); the row stays, anonymised, for the books.</summary>
    public DateTime? DeletedAt { get; set; }
    /// <summary>When the sign-up grant was given (at the address's confirmation); written only by <see cref="SignupGrant"/>.</summary>
    public DateTime? SignupGrantedAt { get; set; }

    /// <summary>When the last confirmation or reset mail for this account failed to send; cleared by the next one sent.</summary>
    public DateTime? MailFailedAt { get; set; }
}

/// <summary>The roles of SPEC.md.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string User = "user";
}

/// <summary>A role (<c>admin</c>, <c>user</c>), as Identity's role manager sees it; the roles are seeded by the migrations.</summary>
public sealed class JobHubRole : IdentityRole<Guid>
{
    public static readonly Guid AdminId = Guid.Parse("00000000-0000-0000-0000-0000000000a1");
    public static readonly Guid UserId = Guid.Parse("00000000-0000-0000-0000-0000000000a2");
}
