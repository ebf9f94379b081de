namespace JobHub.Core.Accounts;

/// <summary>One row of <c>users</c>, as ASP.NET Core Identity's <c>UserManager</c> sees it.</summary>
public sealed class JobHubUser
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public string Email { get; set; } = "";
    public string NormalizedEmail { get; set; } = "";
    public string UserName { get; set; } = "";
    public string NormalizedUserName { get; set; } = "";
    public string? PasswordHash { get; set; }
    public string SecurityStamp { get; set; } = Guid.NewGuid().ToString("N");
    public string ConcurrencyStamp { get; set; } = Guid.NewGuid().ToString("N");
    public bool LockoutEnabled { get; set; } = true;
    public DateTimeOffset? LockoutEnd { get; set; }
    public int AccessFailedCount { get; set; }
    public string Culture { get; set; } = "pt-BR";
    public int CreditBalance { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>The roles of SPEC.md.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string User = "user";
}

/// <summary>A role, as Identity's role manager sees it (roles are fixed by the schema).</summary>
public sealed class JobHubRole
{
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string NormalizedName { get; set; } = "";
}
