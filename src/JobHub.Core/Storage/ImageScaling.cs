using SkiaSharp;

namespace JobHub.Core.Storage;

/// <summary>An image scaled down, encoded in its own format, with its new size.</summary>
public sealed record ScaledImage(byte[] Content, int Width, int Height);

/// <summary>
/// Scales an image down to a longest side (SkiaSharp): the decoder shrinks first where it can (JPEG, WebP), then
/// halving steps and one Mitchell cubic pass to the exact size, so fine detail does not alias; the result is encoded
/// in the image's own format (JPEG and WebP at quality 92, PNG lossless) unless another is asked for.
/// </summary>
public static class ImageScaling
{
    /// <param name="encodeAs">The format of the result (a media type); the image's own when null.</param>
    /// <param name="maxPixels">An image with more pixels is refused (<see cref="InvalidDataException"/>) before it is decoded.</param>
    public static ScaledImage ToLongestSide(Stream content, string mimeType, int longestSide, string? encodeAs = null, int quality = 92,
        long maxPixels = long.MaxValue)
    {
        using var managed = new SKManagedStream(content, disposeManagedStream: false);
        using var codec = SKCodec.Create(managed) ?? throw new InvalidDataException("not an image");
        int width = codec.Info.Width, height = codec.Info.Height;
        if ((long)width * height > maxPixels)
        {
            throw new InvalidDataException($"the image is too large to scale ({width} × {height})");
        }

        var scale = Math.Min(1f, (float)longestSide / Math.Max(width, height));
        int targetWidth = Math.Max(1, (int)MathF.Round(width * scale)), targetHeight = Math.Max(1, (int)MathF.Round(height * scale));

        var decoded = codec.GetScaledDimensions(MathF.Ceiling(scale * 8f) / 8f);
        if (decoded.Width < targetWidth || decoded.Height < targetHeight)
        {
            decoded = new SKSizeI(width, height);
        }

        var info = new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        try
        {
            var result = codec.GetPixels(info, bitmap.GetPixels());
            if (result != SKCodecResult.Success)
            {
                throw new InvalidDataException($"the image could not be decoded ({result})");
            }

            while (bitmap.Width / 2 >= targetWidth && bitmap.Height / 2 >= targetHeight)
            {
                bitmap = Replace(bitmap, bitmap.Resize(new SKSizeI(bitmap.Width / 2, bitmap.Height / 2), new SKSamplingOptions(SKFilterMode.Linear)));
            }

            if (bitmap.Width != targetWidth || bitmap.Height != targetHeight)
            {
                bitmap = Replace(bitmap, bitmap.Resize(new SKSizeI(targetWidth, targetHeight), new SKSamplingOptions(SKCubicResampler.Mitchell)));
            }

            var format = (encodeAs ?? mimeType) switch
            {
                "image/png" => SKEncodedImageFormat.Png,
                "image/webp" => SKEncodedImageFormat.Webp,
                _ => SKEncodedImageFormat.Jpeg,
            };
            using var data = bitmap.Encode(format, format == SKEncodedImageFormat.Png ? 100 : quality) ?? throw new InvalidDataException("the scaled image could not be encoded");
            return new ScaledImage(data.ToArray(), bitmap.Width, bitmap.Height);
        }
        finally
        {
            bitmap.Dispose();
        }
    }

    private static SKBitmap Replace(SKBitmap old, SKBitmap? replacement)
    {
        old.Dispose();
        return replacement ?? throw new InvalidOperationException("the image could not be resized");
    }
}
