namespace JobHub.Core.Storage;

/// <summary>
/// Media types as configured (one canonical name each) and as people know them. Browsers and detectors name some
/// formats differently (AVI is <c>video/x-msvideo</c>, <c>video/avi</c> or <c>video/vnd.avi</c>); every
/// comparison goes through <see cref="Canonical"/>.
/// </summary>
public static class MediaTypes
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["video/vnd.avi"] = "video/x-msvideo",
        ["video/avi"] = "video/x-msvideo",
        ["video/msvideo"] = "video/x-msvideo",
        ["image/jpg"] = "image/jpeg",
        ["image/pjpeg"] = "image/jpeg",
        ["video/x-quicktime"] = "video/quicktime",
        ["video/x-m4v"] = "video/mp4",
    };

    private static readonly Dictionary<string, string> CommonNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["image/jpeg"] = "JPEG",
        ["image/png"] = "PNG",
        ["image/webp"] = "WebP",
        ["video/mp4"] = "MP4",
        ["video/quicktime"] = "MOV",
        ["video/x-msvideo"] = "AVI",
        ["video/x-matroska"] = "MKV",
        ["video/webm"] = "WebM",
    };

    public static string Canonical(string mediaType)
    {
        var type = mediaType.Split(';')[0].Trim().ToLowerInvariant();
        return Aliases.TryGetValue(type, out var canonical) ? canonical : type;
    }

    /// <summary>True when <paramref name="mediaType"/> is one of <paramref name="accepted"/>, whatever name each uses.</summary>
    public static bool IsOneOf(string mediaType, IEnumerable<string> accepted)
    {
        var canonical = Canonical(mediaType);
        return accepted.Any(a => Canonical(a) == canonical);
    }

    /// <summary>The format's common name ("MOV" for video/quicktime); the subtype in capitals for one not listed.</summary>
    public static string Name(string mediaType) =>
        CommonNames.TryGetValue(Canonical(mediaType), out var name) ? name : Canonical(mediaType).Split('/')[^1].ToUpperInvariant();

    /// <summary>"MP4, MOV, AVI": the accepted formats as people know them.</summary>
    public static string List(IEnumerable<string> mediaTypes) => string.Join(", ", mediaTypes.Select(Name).Distinct());
}
