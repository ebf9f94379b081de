using System.Net;
using System.Net.Http.Json;
using JobHub.Tests.Infrastructure;
using JobHub.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace JobHub.Tests.Web;

/// <summary>
/// A request that meets a lost database connection (PostgreSQL restarting, a backend terminated): the API answers 503
/// with a code and Retry-After; a statement's own error (a constraint) or a page's failure is not turned into it.
/// </summary>
public sealed class DatabaseOutageTests
{
    private static async Task<HttpClient> ServerAsync(Exception thrown)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Database=none"));
        var app = builder.Build();
        app.UseDatabaseOutageHandling();
        app.MapGet("/api/thing", () => { throw thrown; });
        app.MapGet("/page", () => { throw thrown; });
        await app.StartAsync();
        return app.GetTestClient();
    }

    public static TheoryData<Exception> ConnectionLosses => new()
    {
        new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"),
        new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03"),
        new PostgresException("connection failure", "FATAL", "FATAL", "08006"),
        new NpgsqlException("Exception while reading from stream", new IOException("Connection reset")),
        new NpgsqlException("Failed to connect", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)),
        // As EF Core reports it: wrapped, "likely due to a transient failure".
        new InvalidOperationException("An exception has been raised that is likely due to a transient failure.",
            new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01")),
    };

    [Theory]
    [MemberData(nameof(ConnectionLosses))]
    public async Task ConnectionLoss_OnTheApi_Is503WithACode(Exception loss)
    {
        using var http = await ServerAsync(loss);

        using var response = await http.GetAsync("/api/thing");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        var problem = await ApiProblem.ReadAsync(response);
        Assert.Equal((DatabaseOutage.Code, 503), (problem.Code, problem.Status));
        Assert.True(DatabaseOutage.IsConnectionLoss(loss));
    }

    [Fact]
    public async Task AStatementsOwnError_IsNotAnOutage()
    {
        var unique = new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505");
        using var http = await ServerAsync(unique);

        await Assert.ThrowsAsync<PostgresException>(() => http.GetAsync("/api/thing"));
        Assert.False(DatabaseOutage.IsConnectionLoss(unique));
        Assert.False(DatabaseOutage.IsConnectionLoss(new InvalidOperationException("not a database error")));
    }

    [Fact]
    public async Task APage_IsLeftToTheErrorPage()
    {
        using var http = await ServerAsync(new PostgresException("terminating connection", "FATAL", "FATAL", "57P01"));

        await Assert.ThrowsAsync<PostgresException>(() => http.GetAsync("/page"));
    }
}
