using System.Security.Cryptography;
using System.Text;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Accounts;

/// <summary>
/// An address that had the sign-up grant, kept as a keyed fingerprint (never the address) after its account is
/// deleted: one row of <c>granted_addresses</c>. It holds no personal data a person could be found by without the key.
/// </summary>
public sealed class GrantedAddress
{
    public byte[] Fingerprint { get; set; } = [];
    public DateTime GrantedAt { get; set; }
}

public sealed class GrantedAddressConfiguration : IEntityTypeConfiguration<GrantedAddress>
{
    public void Configure(EntityTypeBuilder<GrantedAddress> entity)
    {
        entity.ToTable("granted_addresses");
        entity.HasKey(a => a.Fingerprint).HasName("granted_addresses_pkey");
    }
}

/// <summary>
/// The fingerprint of an address for <see cref="GrantedAddress"/>: an HMAC-SHA256 with the server key
/// <c>address_secret</c> of the address as a mailbox receives it, so its aliases share one grant.
/// </summary>
public sealed class GrantedAddresses(ServerSecrets secrets, IOptions<JobHubOptions> options)
{
    public async Task<byte[]> FingerprintAsync(string email) =>
        HMACSHA256.HashData(await secrets.GetAsync("address_secret", options.Value.AddressSecret), Encoding.UTF8.GetBytes(Mailbox(email)));

    /// <summary>
    /// The mailbox an address delivers to: without capitals, without a <c>+tag</c> (most providers deliver those to the
    /// same inbox) and, at Gmail, without dots in the name.
    /// </summary>
    public static string Mailbox(string email)
    {
        var address = email.Trim().Normalize().ToLowerInvariant();
        var at = address.LastIndexOf('@');
        if (at <= 0)
        {
            return address;
        }

        var (name, domain) = (address[..at], address[(at + 1)..]);
        var plus = name.IndexOf('+');
        if (plus > 0)
        {
            name = name[..plus];
        }

        if (domain is "gmail.com" or "googlemail.com")
        {
            (name, domain) = (name.Replace(".", ""), "gmail.com");
        }

        return $"{name}@{domain}";
    }
}
