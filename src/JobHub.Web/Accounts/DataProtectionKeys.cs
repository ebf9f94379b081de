using System.Xml.Linq;
using JobHub.Core.Persistence;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Web.Accounts;

/// <summary>
/// The data protection key ring in PostgreSQL (<c>data_protection_keys</c>), so every instance and every restart share the
/// keys and a sign-in cookie stays valid. A repository of our own: the EF Core package's entity has an int key and
/// nullable columns, where this table has a bigserial key and required ones.
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
