using System.Text.RegularExpressions;
using JobHub.Tests.Infrastructure;
using Npgsql;

namespace JobHub.Tests.Persistence;

/// <summary>
/// The private cluster <c>./jobhub</c> runs (JOBHUB_PG_DATA, set by the script) lets no local user in without the password:
/// no <c>trust</c> rule, its socket folder and password file its owner's only. With an external database there is no
/// cluster of ours, and nothing to check.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PrivateClusterTests
{
    private static readonly string? Data = Environment.GetEnvironmentVariable("JOBHUB_PG_DATA") is { Length: > 0 } data ? data : null;

    [Fact]
    public void ItsRules_TrustNoConnection()
    {
        if (Data is null)
        {
            return;
        }

        var rules = Lines(Path.Combine(Data, "pg_hba.conf"));

        Assert.NotEmpty(rules);
        Assert.DoesNotContain(rules, rule => Regex.IsMatch(rule, @"\btrust\b"));
        Assert.All(rules.Where(rule => rule.StartsWith("local", StringComparison.Ordinal)), rule => Assert.Matches(@"\s(peer|scram-sha-256)$", rule));
    }

    [Fact]
    public void ItsSocketFolder_AndItsPasswordFile_AreTheOwnersOnly()
    {
        if (Data is null)
        {
            return;
        }

        var folders = Lines(Path.Combine(Data, "postgresql.conf"))
            .Select(line => Regex.Match(line, @"^unix_socket_directories\s*=\s*'([^']*)'"))
            .Where(match => match.Success)
            .Select(match => match.Groups[1].Value)
            .LastOrDefault();

        Assert.False(string.IsNullOrEmpty(folders), "the cluster names no socket folder of its own");
        foreach (var folder in folders!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }

        if (Environment.GetEnvironmentVariable("JOBHUB_PG_PASSWORD_FILE") is { Length: > 0 } passwordFile)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
        }
    }

    [Fact]
    public async Task ItsSocket_AsksForThePassword()
    {
        if (Data is null)
        {
            return;
        }

        var folder = Lines(Path.Combine(Data, "postgresql.conf"))
            .Select(line => Regex.Match(line, @"^unix_socket_directories\s*=\s*'([^',]*)"))
            .Last(match => match.Success).Groups[1].Value;
        var admin = new NpgsqlConnectionStringBuilder(TestDatabase.AdminConnectionString);
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = folder,
            Port = admin.Port,
            Username = admin.Username,
            Database = "postgres",
        }.ConnectionString);

        var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());

        Assert.Contains("password", refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static List<string> Lines(string path) =>
        File.ReadAllLines(path).Select(line => line.Split('#')[0].Trim()).Where(line => line.Length > 0).ToList();
}
