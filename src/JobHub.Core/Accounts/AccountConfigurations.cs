using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace JobHub.Core.Accounts;

/// <summary>One row of <c>user_roles</c>.</summary>
public sealed class UserRoleRow
{
    public Guid UserId { get; set; }
    public Guid RoleId { get; set; }
}

/// <summary><c>users</c>: Identity's user with JobHub's balance, which can never go below zero.</summary>
public sealed class JobHubUserConfiguration : IEntityTypeConfiguration<JobHubUser>
{
    public void Configure(EntityTypeBuilder<JobHubUser> entity)
    {
        entity.ToTable("users", table => table.HasCheckConstraint("users_credit_balance_non_negative", "credit_balance >= 0"));
        entity.HasKey(u => u.Id).HasName("users_pkey");
        entity.Property(u => u.LockoutEnabled).HasDefaultValue(true);
        entity.Property(u => u.AccessFailedCount).HasDefaultValue(0);
        entity.Property(u => u.Culture).HasDefaultValueSql("'pt-BR'::text");
        entity.Property(u => u.CreditBalance).HasDefaultValue(0);
        entity.Property(u => u.CreatedAt).HasDefaultValueSql("now()");
        entity.HasIndex(u => u.NormalizedEmail).IsUnique().HasDatabaseName("users_normalized_email_key");
        entity.HasIndex(u => u.NormalizedUserName).IsUnique().HasDatabaseName("users_normalized_user_name_key");
    }
}

/// <summary><c>roles</c>: <c>admin</c> and <c>user</c>, fixed ids.</summary>
public sealed class JobHubRoleConfiguration : IEntityTypeConfiguration<JobHubRole>
{
    public void Configure(EntityTypeBuilder<JobHubRole> entity)
    {
        entity.ToTable("roles");
        entity.HasKey(r => r.Id).HasName("roles_pkey");
        entity.HasAlternateKey(r => r.NormalizedName).HasName("roles_normalized_name_key");
        entity.HasData(
            new JobHubRole { Id = Guid.Parse("00000000-0000-0000-0000-0000000000a1"), Name = Roles.Admin, NormalizedName = "ADMIN" },
            new JobHubRole { Id = Guid.Parse("00000000-0000-0000-0000-0000000000a2"), Name = Roles.User, NormalizedName = "USER" });
    }
}

public sealed class UserRoleRowConfiguration : IEntityTypeConfiguration<UserRoleRow>
{
    public void Configure(EntityTypeBuilder<UserRoleRow> entity)
    {
        entity.ToTable("user_roles");
        entity.HasKey(r => new { r.UserId, r.RoleId }).HasName("user_roles_pkey");
        entity.HasOne<JobHubUser>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade).HasConstraintName("user_roles_user_id_fkey");
        entity.HasOne<JobHubRole>().WithMany().HasForeignKey(r => r.RoleId).OnDelete(DeleteBehavior.Cascade).HasConstraintName("user_roles_role_id_fkey");
    }
}
