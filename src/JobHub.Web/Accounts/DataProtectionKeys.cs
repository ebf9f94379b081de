using System.Xml.Linq;
using JobHub.Core.Persistence;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Web.Accounts;

/// <summary>
/// The data protection key ring in PostgreSQL (table <c>data_protection_keys</c>, through the EF Core context), so that
/// every instance on the database, and every restart, reads and writes the same keys: a sign-in cookie stays valid
/// after JobHub is restarted or killed, and on any instance behind a load balancer. Keys are stored as the framework
/// writes them. (Microsoft.AspNetCore.DataProtection.EntityFrameworkCore's entity has an int key and nullable columns;
/// this table has a bigserial key and required columns, so the repository is ours, over the same context.)
/// </summary>
public sealed class DataProtectionKeys(IDbContextFactory<JobHubDbContext> contexts) : IXmlRepository
{
    public const string ApplicationName = "JobHub";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var context = contexts.CreateDbContext();
        return context.Set<DataProtectionKeyRow>().AsNoTracking().OrderBy(k => k.Id).Select(k => k.Xml).ToList()
            .Select(xml => XElement.Parse(xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var context = contexts.CreateDbContext();
        context.Add(new DataProtectionKeyRow { FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        context.SaveChanges();
    }
}
