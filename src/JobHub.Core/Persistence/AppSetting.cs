using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace JobHub.Core.Persistence;

/// <summary>A setting every instance shares (the generated webhook secret): one row of <c>app_settings</c>.</summary>
public sealed class AppSetting
{
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

public sealed class AppSettingConfiguration : IEntityTypeConfiguration<AppSetting>
{
    public void Configure(EntityTypeBuilder<AppSetting> entity)
    {
        entity.ToTable("app_settings");
        entity.HasKey(s => s.Key).HasName("app_settings_pkey");
        entity.Property(s => s.CreatedAt).HasDefaultValueSql("now()");
    }
}

/// <summary>A data protection key (it signs the sign-in cookie and the anti-forgery tokens): one row of <c>data_protection_keys</c>.</summary>
public sealed class DataProtectionKeyRow
{
    public long Id { get; set; }
    public string FriendlyName { get; set; } = "";
    public string Xml { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

public sealed class DataProtectionKeyRowConfiguration : IEntityTypeConfiguration<DataProtectionKeyRow>
{
    public void Configure(EntityTypeBuilder<DataProtectionKeyRow> entity)
    {
        entity.ToTable("data_protection_keys");
        entity.HasKey(k => k.Id).HasName("data_protection_keys_pkey");
        entity.Property(k => k.CreatedAt).HasDefaultValueSql("now()");
    }
}
