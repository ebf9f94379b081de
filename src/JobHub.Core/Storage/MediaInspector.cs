using JobHub.Core.Tools;
using MetadataExtractor;
using MetadataExtractor.Formats.Avi;
using MetadataExtractor.Formats.FileType;
using MetadataExtractor.Formats.Jpeg;
using MetadataExtractor.Formats.Png;
using MetadataExtractor.Formats.QuickTime;
using MetadataExtractor.Formats.WebP;

namespace JobHub.Core.Storage;

/// <summary>What an upload really is, read from its content.</summary>
public sealed record MediaInfo(string MimeType, string Extension, int Width, int Height, double? DurationSeconds);

/// <summary>
/// An upload that is not what the tool accepts: a code, the message (English, for the API and logs) and the values
/// in it (what the file is, then the limit) for pages that word it in their own language.
/// </summary>
public sealed record MediaRejection(string Code, string Message, params string[] Arguments);

/// <summary>
/// Checks an upload by its content, never by its name or declared type: real format (MetadataExtractor's
/// detection), size, dimensions and duration against the tool's input definition.
/// </summary>
public static class MediaInspector
{
    /// <param name="decode">Also decode an image to its end (a file cut short is refused); off for a file JobHub already checked.</param>
    public static (MediaInfo? Info, MediaRejection? Rejection) Inspect(Stream content, long length, InputDefinition input, bool decode = true)
    {
        if (CheckSize(input, length) is { } wrongSize)
        {
            return (null, wrongSize);
        }

        IReadOnlyList<MetadataExtractor.Directory> directories;
        try
        {
            directories = ImageMetadataReader.ReadMetadata(content);
        }
        catch (Exception ex) when (ex is ImageProcessingException or IOException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            return (null, new("INPUT_UNREADABLE", $"The file is not a readable {input.Kind}."));
        }

        var detected = directories.OfType<FileTypeDirectory>().FirstOrDefault()?.GetString(FileTypeDirectory.TagDetectedFileMimeType);
        var mime = detected is null ? null : input.MimeTypes.FirstOrDefault(accepted => MediaTypes.Canonical(accepted) == MediaTypes.Canonical(detected));
        if (mime is null)
        {
            var what = detected is null ? "?" : MediaTypes.Name(detected);
            return (null, new("INPUT_WRONG_TYPE",
                $"The file is {(detected is null ? "of an unknown type" : what)}; accepted: {MediaTypes.List(input.MimeTypes)}.", what, MediaTypes.List(input.MimeTypes)));
        }

        var (width, height, duration) = Measure(directories);
        if (width <= 0 || height <= 0)
        {
            return (null, new("INPUT_UNREADABLE", "The file's dimensions could not be read."));
        }

        if (CheckDimensions(input, width, height) is { } tooBig)
        {
            return (null, tooBig);
        }

        if (input.Kind == InputKinds.Video && duration is null or <= 0)
        {
            return (null, new("INPUT_UNREADABLE", "The video's duration could not be read."));
        }

        if (CheckDuration(input, duration) is { } tooLong)
        {
            return (null, tooLong);
        }

        if (decode && input.Kind == InputKinds.Image && !ImageDecoding.DecodesCompletely(content, MediaTypes.Canonical(mime)))
        {
            return (null, new("INPUT_DAMAGED", "The image is incomplete or damaged: it does not decode to its end."));
        }

        var extension = directories.OfType<FileTypeDirectory>().First().GetString(FileTypeDirectory.TagExpectedFileNameExtension) ?? "bin";
        return (new MediaInfo(mime, extension, width, height, duration), null);
    }

    private static (int Width, int Height, double? Duration) Measure(IReadOnlyList<MetadataExtractor.Directory> directories)
    {
        foreach (var directory in directories)
        {
            switch (directory)
            {
                case PngDirectory png when png.ContainsTag(PngDirectory.TagImageWidth):
                    return (png.GetInt32(PngDirectory.TagImageWidth), png.GetInt32(PngDirectory.TagImageHeight), null);
                case JpegDirectory jpeg when jpeg.ContainsTag(JpegDirectory.TagImageWidth):
                    return (jpeg.GetInt32(JpegDirectory.TagImageWidth), jpeg.GetInt32(JpegDirectory.TagImageHeight), null);
                case WebPDirectory webp when webp.ContainsTag(WebPDirectory.TagImageWidth):
                    return (webp.GetInt32(WebPDirectory.TagImageWidth), webp.GetInt32(WebPDirectory.TagImageHeight), null);
                case AviDirectory avi when avi.ContainsTag(AviDirectory.TagWidth):
                    return (avi.GetInt32(AviDirectory.TagWidth), avi.GetInt32(AviDirectory.TagHeight),
                        avi.ContainsTag(AviDirectory.TagDuration) && TimeSpan.TryParse(avi.GetString(AviDirectory.TagDuration), out var aviDuration)
                            ? aviDuration.TotalSeconds : null);
            }
        }

        var track = directories.OfType<QuickTimeTrackHeaderDirectory>()
            .FirstOrDefault(t => t.ContainsTag(QuickTimeTrackHeaderDirectory.TagWidth) && Convert.ToDecimal(t.GetObject(QuickTimeTrackHeaderDirectory.TagWidth)) > 0);
        var movie = directories.OfType<QuickTimeMovieHeaderDirectory>().FirstOrDefault();
        if (track is not null)
        {
            double? duration = movie?.GetObject(QuickTimeMovieHeaderDirectory.TagDuration) is TimeSpan span ? span.TotalSeconds : null;
            return ((int)Convert.ToDecimal(track.GetObject(QuickTimeTrackHeaderDirectory.TagWidth)),
                (int)Convert.ToDecimal(track.GetObject(QuickTimeTrackHeaderDirectory.TagHeight)), duration);
        }

        return (0, 0, null);
    }

    /// <summary>The input's limit on a file's length (and an empty file); the upload endpoint applies it to a body's declared length.</summary>
    public static MediaRejection? CheckSize(InputDefinition input, long length) =>
        length <= 0 ? new("INPUT_EMPTY", "The file is empty.")
        : length > input.MaxBytes ? new("INPUT_TOO_LARGE", $"The file is {Megabytes(length)} MB; the limit is {Megabytes(input.MaxBytes)} MB.",
            Megabytes(length), Megabytes(input.MaxBytes))
        : null;

    /// <summary>
    /// The input's limit on a file's dimensions. The server checks it on the content; the tool page checks it on what the
    /// browser measured, before uploading anything.
    /// </summary>
    public static MediaRejection? CheckDimensions(InputDefinition input, int width, int height) =>
        (input.MaxWidth > 0 && width > input.MaxWidth) || (input.MaxHeight > 0 && height > input.MaxHeight)
            ? new("INPUT_TOO_BIG", $"The file is {width}×{height}; the limit is {input.MaxWidth}×{input.MaxHeight}.",
                $"{width}×{height}", $"{input.MaxWidth}×{input.MaxHeight}")
            : null;

    /// <summary>The input's limit on a video's duration (as <see cref="CheckDimensions"/>, on the server and in the browser).</summary>
    public static MediaRejection? CheckDuration(InputDefinition input, double? duration) =>
        input.Kind == InputKinds.Video && input.MaxDurationSeconds > 0 && duration > input.MaxDurationSeconds
            ? new("INPUT_TOO_LONG", $"The video lasts {duration:0.#} s; the limit is {input.MaxDurationSeconds:0.#} s.",
                duration.Value.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture),
                input.MaxDurationSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture))
            : null;

    private static string Megabytes(long bytes) => (bytes / 1024d / 1024d).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
