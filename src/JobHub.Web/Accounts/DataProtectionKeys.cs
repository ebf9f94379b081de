using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace JobHub.Web.Accounts;

/// <summary>
/// The data protection key ring in PostgreSQL (table <c>data_protection_keys</c>), so that every instance on the
/// database, and every restart, reads and writes the same keys: a sign-in cookie stays valid after JobHub is
/// restarted or killed, and on any instance behind a load balancer. Keys are stored as the framework writes them.
/// </summary>
public sealed class DataProtectionKeys(NpgsqlDataSource dataSource) : IXmlRepository
{
    public const string ApplicationName = "JobHub";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = dataSource.OpenConnection();
        return connection.Query<string>("SELECT xml FROM data_protection_keys ORDER BY id").Select(xml => XElement.Parse(xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = dataSource.OpenConnection();
        connection.Execute("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@friendlyName, @xml)",
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }
}
