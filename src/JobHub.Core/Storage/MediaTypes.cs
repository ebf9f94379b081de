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

    // The formats Sniff recognises, each with the extension a file of it is stored under.
    private static readonly Dictionary<string, string> Extensions = new(StringComparer.Ordinal)
    {
        ["image/png"] = "png",
        ["image/jpeg"] = "jpg",
        ["image/gif"] = "gif",
        ["image/webp"] = "webp",
        ["video/quicktime"] = "mov",
        ["video/mp4"] = "mp4",
        ["video/webm"] = "webm",
        ["video/x-matroska"] = "mkv",
    };

    /// <summary>The media type of a file stored under <paramref name="extension"/> (".png"); null for an extension JobHub does not store.</summary>
    public static string? ForExtension(string extension) =>
        Extensions.FirstOrDefault(stored => extension == "." + stored.Value).Key;

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

    /// <summary>The bytes <see cref="Sniff"/> reads from a file's start.</summary>
    public const int SniffLength = 64;

    /// <summary>
    /// The image or video format a file's first bytes say it is, with the extension it is stored under; null for anything
    /// else (HTML, SVG, scripts, archives, formats JobHub does not show), whatever its name or declared type.
    /// </summary>
    public static (string MediaType, string Extension)? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return Stored("image/png");
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return Stored("image/jpeg");
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return Stored("image/gif");
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
        {
            return Stored("image/webp");
        }

        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            // ISO media: HEIF and AVIF images share the box; only the video brands are videos.
            var brand = head[8..12];
            return brand.SequenceEqual("qt  "u8) ? Stored("video/quicktime")
                : brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8) || brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8)
                  || brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8) ? null
                : Stored("video/mp4");
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]))
        {
            return Stored(head.IndexOf("webm"u8) >= 0 ? "video/webm" : "video/x-matroska");
        }

        return null;
    }

    private static (string MediaType, string Extension) Stored(string mediaType) => (mediaType, Extensions[mediaType]);

    /// <summary>"MP4, MOV, AVI": the accepted formats as people know them.</summary>
    public static string List(IEnumerable<string> mediaTypes) => string.Join(", ", mediaTypes.Select(Name).Distinct());
}
