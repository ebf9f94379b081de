using JobHub.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace JobHub.Web;

/// <summary>
/// The API's errors as RFC 9457 problem details: the status with its standard <c>type</c> and <c>title</c>, the message as
/// <c>detail</c>, and JobHub's error code as the <c>code</c> member, which clients compare (docs/api.md).
/// </summary>
public static class ApiProblems
{
    public static ProblemHttpResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code });

    /// <summary>The file store cannot be reached: nothing was done, and the request can be sent again.</summary>
    public static ProblemHttpResult StorageUnavailable() =>
        Problem(StatusCodes.Status503ServiceUnavailable, StorageUnavailableException.Code, StorageUnavailableException.Advice);

    /// <summary>For middleware that answers before any endpoint (a rate limit, a lost database connection).</summary>
    public static Task WriteAsync(HttpContext context, int status, string code, string detail) =>
        Problem(status, code, detail).ExecuteAsync(context);
}
