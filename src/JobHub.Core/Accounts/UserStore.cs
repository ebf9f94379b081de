using Dapper;
using JobHub.Core.Credits;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Accounts;

/// <summary>
/// ASP.NET Core Identity's user store over Dapper (EF is not available here, see STACK.md). Creating a user
/// also gives it the <c>user</c> role and the sign-up credit grant, in the same transaction, so no account
/// ever exists without its credits.
/// </summary>
public sealed class UserStore(NpgsqlDataSource dataSource, IOptions<JobHubOptions> options, TimeProvider clock) :
    IUserPasswordStore<JobHubUser>,
    IUserEmailStore<JobHubUser>,
    IUserSecurityStampStore<JobHubUser>,
    IUserLockoutStore<JobHubUser>,
    IUserRoleStore<JobHubUser>
{
    private const string Columns = """
        id, email, normalized_email, user_name, normalized_user_name, password_hash, security_stamp, concurrency_stamp,
        lockout_enabled, lockout_end, access_failed_count, culture, credit_balance, created_at
        """;

    public async Task<IdentityResult> CreateAsync(JobHubUser user, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        user.CreatedAt = now;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync("""
                INSERT INTO users (id, email, normalized_email, user_name, normalized_user_name, password_hash, security_stamp, concurrency_stamp,
                                   lockout_enabled, lockout_end, access_failed_count, culture, created_at)
                VALUES (@Id, @Email, @NormalizedEmail, @UserName, @NormalizedUserName, @PasswordHash, @SecurityStamp, @ConcurrencyStamp,
                        @LockoutEnabled, @LockoutEnd, @AccessFailedCount, @Culture, @CreatedAt)
                """, user, transaction);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return IdentityResult.Failed(new IdentityErrorDescriber().DuplicateEmail(user.Email));
        }

        await connection.ExecuteAsync("""
            INSERT INTO user_roles (user_id, role_id) SELECT @Id, id FROM roles WHERE normalized_name = 'USER'
            """, user, transaction);
        if (options.Value.SignupCredits > 0)
        {
            user.CreditBalance = (await CreditLedger.AddAsync(connection, transaction, user.Id, LedgerKinds.Grant, options.Value.SignupCredits,
                "sign-up grant", null, now))!.Value;
        }

        await transaction.CommitAsync(cancellationToken);
        return IdentityResult.Success;
    }

    public async Task<IdentityResult> UpdateAsync(JobHubUser user, CancellationToken cancellationToken)
    {
        var stamp = user.ConcurrencyStamp;
        user.ConcurrencyStamp = Guid.NewGuid().ToString("N");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync("""
            UPDATE users SET email = @Email, normalized_email = @NormalizedEmail, user_name = @UserName, normalized_user_name = @NormalizedUserName,
                             password_hash = @PasswordHash, security_stamp = @SecurityStamp, concurrency_stamp = @ConcurrencyStamp,
                             lockout_enabled = @LockoutEnabled, lockout_end = @LockoutEnd, access_failed_count = @AccessFailedCount, culture = @Culture
            WHERE id = @Id AND concurrency_stamp = @stamp
            """, new
        {
            user.Email, user.NormalizedEmail, user.UserName, user.NormalizedUserName, user.PasswordHash, user.SecurityStamp, user.ConcurrencyStamp,
            user.LockoutEnabled, user.LockoutEnd, user.AccessFailedCount, user.Culture, user.Id, stamp,
        });
        return changed == 1 ? IdentityResult.Success : IdentityResult.Failed(new IdentityErrorDescriber().ConcurrencyFailure());
    }

    /// <summary>Accounts are never deleted: their jobs and ledger are history.</summary>
    public Task<IdentityResult> DeleteAsync(JobHubUser user, CancellationToken cancellationToken) =>
        Task.FromResult(IdentityResult.Failed(new IdentityError { Code = "NotSupported", Description = "Accounts cannot be deleted." }));

    public Task<JobHubUser?> FindByIdAsync(string userId, CancellationToken cancellationToken) =>
        Guid.TryParse(userId, out var id) ? FindAsync("id = @value", id, cancellationToken) : Task.FromResult<JobHubUser?>(null);

    public Task<JobHubUser?> FindByNameAsync(string normalizedUserName, CancellationToken cancellationToken) =>
        FindAsync("normalized_user_name = @value", normalizedUserName, cancellationToken);

    public Task<JobHubUser?> FindByEmailAsync(string normalizedEmail, CancellationToken cancellationToken) =>
        FindAsync("normalized_email = @value", normalizedEmail, cancellationToken);

    private async Task<JobHubUser?> FindAsync(string condition, object value, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<JobHubUser>(new CommandDefinition(
            $"SELECT {Columns} FROM users WHERE {condition}", new { value }, cancellationToken: cancellationToken));
    }

    public Task<string> GetUserIdAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult(user.Id.ToString());
    public Task<string?> GetUserNameAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult<string?>(user.UserName);

    public Task SetUserNameAsync(JobHubUser user, string? userName, CancellationToken cancellationToken)
    {
        user.UserName = userName ?? "";
        return Task.CompletedTask;
    }

    public Task<string?> GetNormalizedUserNameAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult<string?>(user.NormalizedUserName);

    public Task SetNormalizedUserNameAsync(JobHubUser user, string? normalizedName, CancellationToken cancellationToken)
    {
        user.NormalizedUserName = normalizedName ?? "";
        return Task.CompletedTask;
    }

    public Task SetPasswordHashAsync(JobHubUser user, string? passwordHash, CancellationToken cancellationToken)
    {
        user.PasswordHash = passwordHash;
        return Task.CompletedTask;
    }

    public Task<string?> GetPasswordHashAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult(user.PasswordHash);
    public Task<bool> HasPasswordAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult(user.PasswordHash is not null);

    public Task SetEmailAsync(JobHubUser user, string? email, CancellationToken cancellationToken)
    {
        user.Email = email ?? "";
        return Task.CompletedTask;
    }

    public Task<string?> GetEmailAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult<string?>(user.Email);

    /// <summary>Email confirmation is not part of JobHub's sign-up (SPEC.md): every address counts as confirmed.</summary>
    public Task<bool> GetEmailConfirmedAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult(true);

    public Task SetEmailConfirmedAsync(JobHubUser user, bool confirmed, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task<string?> GetNormalizedEmailAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult<string?>(user.NormalizedEmail);

    public Task SetNormalizedEmailAsync(JobHubUser user, string? normalizedEmail, CancellationToken cancellationToken)
    {
        user.NormalizedEmail = normalizedEmail ?? "";
        return Task.CompletedTask;
    }

    public Task SetSecurityStampAsync(JobHubUser user, string stamp, CancellationToken cancellationToken)
    {
        user.SecurityStamp = stamp;
        return Task.CompletedTask;
    }

    public Task<string?> GetSecurityStampAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult<string?>(user.SecurityStamp);
    public Task<DateTimeOffset?> GetLockoutEndDateAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult(user.LockoutEnd);

    public Task SetLockoutEndDateAsync(JobHubUser user, DateTimeOffset? lockoutEnd, CancellationToken cancellationToken)
    {
        user.LockoutEnd = lockoutEnd;
        return Task.CompletedTask;
    }

    public Task<int> IncrementAccessFailedCountAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult(++user.AccessFailedCount);

    public Task ResetAccessFailedCountAsync(JobHubUser user, CancellationToken cancellationToken)
    {
        user.AccessFailedCount = 0;
        return Task.CompletedTask;
    }

    public Task<int> GetAccessFailedCountAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult(user.AccessFailedCount);
    public Task<bool> GetLockoutEnabledAsync(JobHubUser user, CancellationToken cancellationToken) => Task.FromResult(user.LockoutEnabled);

    public Task SetLockoutEnabledAsync(JobHubUser user, bool enabled, CancellationToken cancellationToken)
    {
        user.LockoutEnabled = enabled;
        return Task.CompletedTask;
    }

    public async Task AddToRoleAsync(JobHubUser user, string roleName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var added = await connection.ExecuteAsync("""
            INSERT INTO user_roles (user_id, role_id) SELECT @Id, id FROM roles WHERE normalized_name = @roleName ON CONFLICT DO NOTHING
            """, new { user.Id, roleName = roleName.ToUpperInvariant() });
        if (added == 0 && !await IsInRoleAsync(user, roleName, cancellationToken))
        {
            throw new InvalidOperationException($"There is no role '{roleName}'.");
        }
    }

    public async Task RemoveFromRoleAsync(JobHubUser user, string roleName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("""
            DELETE FROM user_roles WHERE user_id = @Id AND role_id = (SELECT id FROM roles WHERE normalized_name = @roleName)
            """, new { user.Id, roleName = roleName.ToUpperInvariant() });
    }

    public async Task<IList<string>> GetRolesAsync(JobHubUser user, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<string>(
            "SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = @Id ORDER BY r.name", new { user.Id })).ToList();
    }

    public async Task<bool> IsInRoleAsync(JobHubUser user, string roleName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>("""
            SELECT EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = @Id AND r.normalized_name = @roleName)
            """, new { user.Id, roleName = roleName.ToUpperInvariant() });
    }

    public async Task<IList<JobHubUser>> GetUsersInRoleAsync(string roleName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<JobHubUser>($"""
            SELECT {Columns} FROM users WHERE id IN (SELECT ur.user_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.normalized_name = @roleName)
            """, new { roleName = roleName.ToUpperInvariant() })).ToList();
    }

    public void Dispose()
    {
    }
}
