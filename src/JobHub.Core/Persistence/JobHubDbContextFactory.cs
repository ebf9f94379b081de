using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace JobHub.Core.Persistence;

/// <summary>
/// For <c>dotnet ef</c> (migrations add, list, script): the context with JobHub's conventions. Adding a migration needs
/// no database; commands that read one use <c>ConnectionStrings__JobHub</c> (./jobhub sets it for the private cluster).
/// </summary>
public sealed class JobHubDbContextFactory : IDesignTimeDbContextFactory<JobHubDbContext>
{
    public JobHubDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__JobHub") is { Length: > 0 } configured
            ? configured
            : "Host=127.0.0.1;Database=jobhub;Username=jobhub";
        return new JobHubDbContext((DbContextOptions<JobHubDbContext>)JobHubDbContext.Configure(new DbContextOptionsBuilder<JobHubDbContext>(), connectionString).Options);
    }
}
