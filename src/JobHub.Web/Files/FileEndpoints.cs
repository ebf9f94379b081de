using System.Security.Claims;
using JobHub.Core.Accounts;
using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.StaticFiles;

namespace JobHub.Web.Files;

public static class FileEndpoints
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>
    /// A job's stored inputs, copied outputs and their thumbnails (<c>thumbs</c>, made on first request), to their owner
    /// (and admins) only: anyone else gets 404, as for a job that does not exist. <c>?download=1</c> serves the file as an
    /// attachment.
    /// </summary>
    public static IEndpointRouteBuilder MapFileEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/files/jobs/{jobId:guid}/{kind}/{index:int}", ServeAsync).RequireAuthorization();
        return endpoints;
    }

    private static async Task<Results<FileStreamHttpResult, NotFound, ProblemHttpResult>> ServeAsync(Guid jobId, string kind, int index, bool? download,
        ClaimsPrincipal principal, JobQueries queries, IFileStorage storage, ResultThumbnails thumbnails, HttpContext context)
    {
        if (!Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            return TypedResults.NotFound();
        }

        var job = principal.IsInRole(Roles.Admin) ? await queries.GetAnyAsync(jobId) : await queries.GetAsync(jobId, userId);
        var storedName = kind switch
        {
            "inputs" => job?.InputFiles.ElementAtOrDefault(index)?.StoredName,
            "outputs" or "thumbs" => job?.OutputFiles.ElementAtOrDefault(index)?.StoredName,
            _ => null,
        };
        if (storedName is null || job?.FilesDeletedAt is not null)
        {
            return TypedResults.NotFound();
        }

        if (kind == "thumbs")
        {
            try
            {
                storedName = await thumbnails.GetOrMakeAsync(storedName, context.RequestAborted);
            }
            catch (StorageUnavailableException)
            {
                return ApiProblems.StorageUnavailable();
            }

            if (storedName is null)
            {
                return TypedResults.NotFound();
            }
        }

        Stream content;
        try
        {
            content = await storage.OpenReadAsync(storedName, context.RequestAborted);
        }
        catch (FileNotFoundException)
        {
            return TypedResults.NotFound();
        }
        catch (StorageUnavailableException)
        {
            return ApiProblems.StorageUnavailable();
        }

        var contentType = ContentTypes.TryGetContentType(storedName, out var type) ? type : "application/octet-stream";
        var name = $"jobhub-{jobId:N}-{kind}-{index}{Path.GetExtension(storedName)}";
        // A file is shown in the page only as an image or a video; anything else (a copy kept from before its content was
        // checked) is a download. The sandbox keeps a file opened on its own from running script as JobHub.
        var media = contentType.StartsWith("image/", StringComparison.Ordinal) && contentType != "image/svg+xml"
            || contentType.StartsWith("video/", StringComparison.Ordinal);
        context.Response.Headers.ContentSecurityPolicy = Security.SecurityHeaders.FilePolicy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        // The store's stream seeks without reading what is before: a range request (a video's) reads only its range.
        return TypedResults.File(content, media ? contentType : "application/octet-stream",
            download == true || !media ? name : null, enableRangeProcessing: true);
    }
}
