using System.Net;
using JobHub.Bench.Load;
using JobHub.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace JobHub.Tests.Load;

/// <summary>
/// The load driver's sign-in tells a refusal (the form shown again) from a server that could not answer (JobHub's
/// database timing out, nginx with no live instance): the first ends the user, the second is tried again.
/// </summary>
public sealed class ApiSessionTests
{
    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task SignIn_IsUnavailable_NotRefused_WhenTheServerCannotAnswer(int status)
    {
        await using var server = await LoginServerAsync(status);
        var cookies = new CookieContainer();
        using var http = ApiSession.Create(new Uri(server.Urls.First()), cookies);

        await Assert.ThrowsAsync<HttpRequestException>(() => ApiSession.SignInAsync(http, cookies, "someone@load.local", "secret"));
    }

    [Fact]
    public async Task SignIn_IsRefused_WhenTheFormComesBack()
    {
        await using var server = await LoginServerAsync(StatusCodes.Status200OK);
        var cookies = new CookieContainer();
        using var http = ApiSession.Create(new Uri(server.Urls.First()), cookies);

        Assert.False(await ApiSession.SignInAsync(http, cookies, "someone@load.local", "wrong"));
    }

    /// <summary>A sign-in page with its anti-forgery field, whose post answers <paramref name="postStatus"/>.</summary>
    private static async Task<WebApplication> LoginServerAsync(int postStatus)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{KestrelJobHub.FreePort()}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/account/login", () => Results.Content("<input name=\"__RequestVerificationToken\" value=\"token\" />", "text/html"));
        app.MapPost("/account/login", () => Results.StatusCode(postStatus));
        await app.StartAsync();
        return app;
    }
}
