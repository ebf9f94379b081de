using Dapper;
using Microsoft.AspNetCore.Identity;
using Npgsql;

namespace JobHub.Core.Accounts;

/// <summary>Identity's role store: the roles are fixed by the schema (admin, user), so it only reads.</summary>
public sealed class RoleStore(NpgsqlDataSource dataSource) : IRoleStore<JobHubRole>
{
    private static readonly IdentityResult ReadOnly =
        IdentityResult.Failed(new IdentityError { Code = "NotSupported", Description = "Roles are fixed: admin and user." });

    public Task<IdentityResult> CreateAsync(JobHubRole role, CancellationToken cancellationToken) => Task.FromResult(ReadOnly);
    public Task<IdentityResult> UpdateAsync(JobHubRole role, CancellationToken cancellationToken) => Task.FromResult(ReadOnly);
    public Task<IdentityResult> DeleteAsync(JobHubRole role, CancellationToken cancellationToken) => Task.FromResult(ReadOnly);
    public Task<string> GetRoleIdAsync(JobHubRole role, CancellationToken cancellationToken) => Task.FromResult(role.Id.ToString());
    public Task<string?> GetRoleNameAsync(JobHubRole role, CancellationToken cancellationToken) => Task.FromResult<string?>(role.Name);
    public Task SetRoleNameAsync(JobHubRole role, string? roleName, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task<string?> GetNormalizedRoleNameAsync(JobHubRole role, CancellationToken cancellationToken) => Task.FromResult<string?>(role.NormalizedName);
    public Task SetNormalizedRoleNameAsync(JobHubRole role, string? normalizedName, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<JobHubRole?> FindByIdAsync(string roleId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(roleId, out var id))
        {
            return null;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<JobHubRole>("SELECT id, name, normalized_name FROM roles WHERE id = @id", new { id });
    }

    public async Task<JobHubRole?> FindByNameAsync(string normalizedRoleName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<JobHubRole>(
            "SELECT id, name, normalized_name FROM roles WHERE normalized_name = @normalizedRoleName", new { normalizedRoleName });
    }

    public void Dispose()
    {
    }
}
