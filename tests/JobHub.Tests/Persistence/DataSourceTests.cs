using JobHub.Core.Persistence;
using Npgsql;

namespace JobHub.Tests.Persistence;

/// <summary>The data source's defaults (docs/decisions/0009-data-source.md): a pool of a few connections a core, not reset between uses, statements prepared.</summary>
public sealed class DataSourceTests
{
    private static NpgsqlConnectionStringBuilder Built(string connectionString)
    {
        using var dataSource = Database.CreateDataSource(connectionString);
        return new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
    }

    [Fact]
    public void WithoutAPoolSize_ThePoolIsAFewConnectionsACore_NotResetBetweenUses()
    {
        var built = Built("Host=127.0.0.1;Database=jobhub;Username=jobhub");

        Assert.Equal(Database.DefaultMaxPoolSize, built.MaxPoolSize);
        Assert.Equal(Math.Max(16, 8 * Environment.ProcessorCount), built.MaxPoolSize);
        Assert.True(built.NoResetOnClose);
        Assert.Equal(64, built.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("Maximum Pool Size=7")]
    [InlineData("maxpoolsize=7")]
    public void APoolSizeInTheConnectionString_IsKept(string setting)
    {
        Assert.Equal(7, Built($"Host=127.0.0.1;Database=jobhub;Username=jobhub;{setting}").MaxPoolSize);
    }
}
