using System.Net.Http.Json;

namespace JobHub.Tests.Infrastructure;

/// <summary>An API error as a client reads it: RFC 9457 problem details with JobHub's <c>code</c>.</summary>
public sealed record ApiProblem(string? Type, string? Title, int? Status, string? Detail, string? Code)
{
    /// <summary>Reads the answer's problem details, checking it says it is one (<c>application/problem+json</c>).</summary>
    public static async Task<ApiProblem> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<ApiProblem>(System.Text.Json.JsonSerializerOptions.Web))!;
    }
}
