using System.Net;
using System.Text.RegularExpressions;
using JobHub.Web.Jobs;

namespace JobHub.Bench.Load;

/// <summary>An HTTP client of the jobs API as a script would hold one: a cookie jar, the client header, signed in through the sign-in form.</summary>
public static partial class ApiSession
{
    public static HttpClient Create(Uri baseAddress, CookieContainer cookies, TimeSpan? timeout = null)
    {
        var client = new HttpClient(new SocketsHttpHandler
        {
            CookieContainer = cookies,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        })
        {
            BaseAddress = baseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };
        client.DefaultRequestHeaders.Add(JobApiEndpoints.ClientHeader, "jobhub-load");
        return client;
    }

    /// <summary>
    /// Signs in as a browser does (the form's anti-forgery token, then the post); true when the cookie was set, false when
    /// refused; <see cref="HttpRequestException"/> when the server could not answer (5xx).
    /// </summary>
    public static async Task<bool> SignInAsync(HttpClient http, CookieContainer cookies, string email, string password, CancellationToken cancellationToken = default)
    {
        using var form = await http.GetAsync("account/login", cancellationToken);
        var token = AntiforgeryField().Match(await form.Content.ReadAsStringAsync(cancellationToken));
        if (form.StatusCode != HttpStatusCode.OK || !token.Success)
        {
            throw new HttpRequestException($"the sign-in page answered {(int)form.StatusCode} without its form");
        }

        using var response = await http.PostAsync("account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }), cancellationToken);
        if ((int)response.StatusCode >= 500)
        {
            // JobHub, its database or the proxy in front unavailable for a moment: not a refusal, the caller tries again.
            throw new HttpRequestException($"the sign-in answered {(int)response.StatusCode}", null, response.StatusCode);
        }

        return response.StatusCode == HttpStatusCode.Redirect && cookies.GetCookies(http.BaseAddress!)["jobhub.auth"] is not null;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
