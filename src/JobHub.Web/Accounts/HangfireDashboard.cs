using Hangfire;
using Hangfire.Dashboard;
using JobHub.Core.Accounts;

namespace JobHub.Web.Accounts;

/// <summary>
/// Hangfire's dashboard at <c>/admin/hangfire</c>, for admins only and read-write for them: the <c>/admin</c> guard sends
/// an anonymous visitor to the sign-in page and answers a signed-in non-admin with 403 before the dashboard is reached,
/// the endpoint requires the admin policy, and the dashboard's own filter checks the role once more.
/// </summary>
public static class HangfireDashboard
{
    public const string Path = "/admin/hangfire";

    public static IEndpointConventionBuilder MapJobHubHangfireDashboard(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapHangfireDashboard(Path, new DashboardOptions
        {
            Authorization = [new AdminOnly()],
            AppPath = "/admin/maintenance",
            DashboardTitle = "JobHub · Hangfire",
            DisplayStorageConnectionString = false,
        }).RequireAuthorization(Roles.Admin);

    private sealed class AdminOnly : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => context.GetHttpContext().User.IsInRole(Roles.Admin);
    }
}
