using System.Runtime.InteropServices;
using SkiaSharp;

namespace JobHub.Core.Storage;

/// <summary>
/// Whether an image decodes to its end (SkiaSharp) without its full-size bitmap: JPEG row by row, PNG into a one-pixel
/// column, WebP into a small scaled copy. The decoders tolerate a missing trailer, so a PNG must end with IEND and a WebP's
/// RIFF size must match: a file cut short is refused before anything is charged or sent to RunningHub.
/// </summary>
public static class ImageDecoding
{
    private static readonly byte[] PngEnd = [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];

    public static bool DecodesCompletely(Stream content, string mimeType)
    {
        content.Position = 0;
        if (!TrailerIsComplete(content, mimeType))
        {
            return false;
        }

        content.Position = 0;
        using var managed = new SKManagedStream(content, disposeManagedStream: false);
        using var codec = SKCodec.Create(managed, out _);
        if (codec is null || codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            return false;
        }

        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var result = codec.StartScanlineDecode(info);
        if (result == SKCodecResult.Success)
        {
            return DecodeScanlines(codec, info);
        }

        if (result != SKCodecResult.Unimplemented)
        {
            return false;
        }

        // PNG: the decoder must still read every row, but only the first column is kept.
        using (var column = new Pinned(info.Height * 4))
        {
            result = codec.StartIncrementalDecode(info, column.Address, 4, new SKCodecOptions(new SKRectI(0, 0, 1, info.Height)));
            if (result == SKCodecResult.Success)
            {
                return codec.IncrementalDecode(out _) == SKCodecResult.Success;
            }
        }

        if (result != SKCodecResult.Unimplemented)
        {
            return false;
        }

        // WebP: decoded whole, into a copy at most 256 px on its longer side.
        var size = codec.GetScaledDimensions(Math.Min(1f, 256f / Math.Max(info.Width, info.Height)));
        var small = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var pixels = new Pinned(small.BytesSize);
        return codec.GetPixels(small, pixels.Address) == SKCodecResult.Success;
    }

    private static bool DecodeScanlines(SKCodec codec, SKImageInfo info)
    {
        using var row = new Pinned(info.RowBytes);
        for (var line = 0; line < info.Height; line++)
        {
            if (codec.GetScanlines(row.Address, 1, info.RowBytes) != 1)
            {
                return false;
            }
        }

        return true;
    }

    private static bool TrailerIsComplete(Stream content, string mimeType)
    {
        switch (mimeType)
        {
            case "image/png":
                if (content.Length < PngEnd.Length)
                {
                    return false;
                }

                var end = new byte[PngEnd.Length];
                content.Seek(-PngEnd.Length, SeekOrigin.End);
                content.ReadExactly(end);
                return end.AsSpan().SequenceEqual(PngEnd);
            case "image/webp":
                var header = new byte[8];
                if (content.Length < 12 || content.Read(header) != 8)
                {
                    return false;
                }

                return BitConverter.ToUInt32(header, 4) + 8L <= content.Length;
            default:
                return true;
        }
    }

    /// <summary>A pinned managed buffer the native decoder writes into.</summary>
    private sealed class Pinned(int length) : IDisposable
    {
        private GCHandle handle = GCHandle.Alloc(new byte[length], GCHandleType.Pinned);

        public IntPtr Address => handle.AddrOfPinnedObject();

        public void Dispose() => handle.Free();
    }
}
