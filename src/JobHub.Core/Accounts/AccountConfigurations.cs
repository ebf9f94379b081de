using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace JobHub.Core.Accounts;

/// <summary>
/// <c>users</c>: Identity's user (its tables renamed to JobHub's: users, roles, user_roles, user_claims, user_logins,
/// user_tokens, role_claims; text columns, not Identity's varchar(256)) with JobHub's balance, which can never go below
/// zero and which only the ledger writes.
/// </summary>
public sealed class JobHubUserConfiguration : IEntityTypeConfiguration<JobHubUser>
{
    public void Configure(EntityTypeBuilder<JobHubUser> entity)
    {
        entity.ToTable("users", table => table.HasCheckConstraint("users_credit_balance_non_negative", "credit_balance >= 0"));
        entity.HasKey(u => u.Id).HasName("users_pkey");
        foreach (var text in new[] { nameof(JobHubUser.UserName), nameof(JobHubUser.NormalizedUserName), nameof(JobHubUser.Email), nameof(JobHubUser.NormalizedEmail) })
        {
            entity.Property(text).IsRequired().Metadata.SetMaxLength(null);
        }

        entity.Property(u => u.SecurityStamp).IsRequired();
        entity.Property(u => u.ConcurrencyStamp).IsRequired();
        entity.Property(u => u.EmailConfirmed).HasDefaultValue(false);
        entity.Property(u => u.PhoneNumberConfirmed).HasDefaultValue(false);
        entity.Property(u => u.TwoFactorEnabled).HasDefaultValue(false);
        entity.Property(u => u.LockoutEnabled).HasDefaultValue(true);
        entity.Property(u => u.AccessFailedCount).HasDefaultValue(0);
        entity.Property(u => u.Culture).HasDefaultValueSql("'pt-BR'::text");
        entity.Property(u => u.CreatedAt).HasDefaultValueSql("now()");
        var balance = entity.Property(u => u.CreditBalance).HasDefaultValue(0).Metadata;
        balance.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
        balance.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);
        // Written by their own statements only: a stale copy of the user saved by Identity must not undo a grant or a failure.
        foreach (var own in new[] { nameof(JobHubUser.SignupGrantedAt), nameof(JobHubUser.MailFailedAt) })
        {
            entity.Property(own).Metadata.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
            entity.Property(own).Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);
        }

        entity.HasIndex(u => u.NormalizedEmail).IsUnique().HasDatabaseName("users_normalized_email_key");
        entity.HasIndex(u => u.NormalizedUserName).IsUnique().HasDatabaseName("users_normalized_user_name_key");
        entity.HasMany<IdentityUserRole<Guid>>().WithOne().HasForeignKey(r => r.UserId).IsRequired()
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName("user_roles_user_id_fkey");
        entity.HasMany<IdentityUserClaim<Guid>>().WithOne().HasForeignKey(c => c.UserId).IsRequired().HasConstraintName("user_claims_user_id_fkey");
        entity.HasMany<IdentityUserLogin<Guid>>().WithOne().HasForeignKey(l => l.UserId).IsRequired().HasConstraintName("user_logins_user_id_fkey");
        entity.HasMany<IdentityUserToken<Guid>>().WithOne().HasForeignKey(t => t.UserId).IsRequired().HasConstraintName("user_tokens_user_id_fkey");
    }
}

/// <summary><c>roles</c>: <c>admin</c> and <c>user</c>, with fixed ids.</summary>
public sealed class JobHubRoleConfiguration : IEntityTypeConfiguration<JobHubRole>
{
    public void Configure(EntityTypeBuilder<JobHubRole> entity)
    {
        entity.ToTable("roles");
        entity.HasKey(r => r.Id).HasName("roles_pkey");
        entity.Property(r => r.Name).IsRequired().Metadata.SetMaxLength(null);
        entity.Property(r => r.NormalizedName).IsRequired().Metadata.SetMaxLength(null);
        entity.HasIndex(r => r.NormalizedName).IsUnique().HasDatabaseName("roles_normalized_name_key");
        entity.HasMany<IdentityUserRole<Guid>>().WithOne().HasForeignKey(r => r.RoleId).IsRequired()
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName("user_roles_role_id_fkey");
        entity.HasMany<IdentityRoleClaim<Guid>>().WithOne().HasForeignKey(c => c.RoleId).IsRequired().HasConstraintName("role_claims_role_id_fkey");
        entity.HasData(
            new JobHubRole { Id = JobHubRole.AdminId, Name = Roles.Admin, NormalizedName = "ADMIN", ConcurrencyStamp = "a1" },
            new JobHubRole { Id = JobHubRole.UserId, Name = Roles.User, NormalizedName = "USER", ConcurrencyStamp = "a2" });
    }
}

public sealed class UserRoleConfiguration : IEntityTypeConfiguration<IdentityUserRole<Guid>>
{
    public void Configure(EntityTypeBuilder<IdentityUserRole<Guid>> entity)
    {
        entity.ToTable("user_roles");
        entity.HasKey(r => new { r.UserId, r.RoleId }).HasName("user_roles_pkey");
    }
}

public sealed class UserClaimConfiguration : IEntityTypeConfiguration<IdentityUserClaim<Guid>>
{
    public void Configure(EntityTypeBuilder<IdentityUserClaim<Guid>> entity)
    {
        entity.ToTable("user_claims");
        entity.HasKey(c => c.Id).HasName("user_claims_pkey");
    }
}

public sealed class UserLoginConfiguration : IEntityTypeConfiguration<IdentityUserLogin<Guid>>
{
    public void Configure(EntityTypeBuilder<IdentityUserLogin<Guid>> entity)
    {
        entity.ToTable("user_logins");
        entity.HasKey(l => new { l.LoginProvider, l.ProviderKey }).HasName("user_logins_pkey");
    }
}

public sealed class UserTokenConfiguration : IEntityTypeConfiguration<IdentityUserToken<Guid>>
{
    public void Configure(EntityTypeBuilder<IdentityUserToken<Guid>> entity)
    {
        entity.ToTable("user_tokens");
        entity.HasKey(t => new { t.UserId, t.LoginProvider, t.Name }).HasName("user_tokens_pkey");
    }
}

public sealed class RoleClaimConfiguration : IEntityTypeConfiguration<IdentityRoleClaim<Guid>>
{
    public void Configure(EntityTypeBuilder<IdentityRoleClaim<Guid>> entity)
    {
        entity.ToTable("role_claims");
        entity.HasKey(c => c.Id).HasName("role_claims_pkey");
    }
}
