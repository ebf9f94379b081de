using System.Buffers.Binary;
using System.Text;
using SkiaSharp;

namespace JobHub.Simulator;

/// <summary>A result file the simulator returns: its bytes and the extension that names their type.</summary>
public sealed record SampleResult(byte[] Content, string Extension);

/// <summary>
/// What a successful simulated task returns, made from its first input so a demo shows what the tool is for: an image
/// scaled up (twice its longer side, at most <see cref="MaxSide"/>) with a magenta border and a "SIMULATOR" label; a
/// video in its own container with a note added that players skip (nothing here can re-encode a video: see docs/simulator.md).
/// </summary>
public static class SampleResults
{
    /// <summary>The longest side a simulated result has.</summary>
    public const int MaxSide = 4096;

    /// <summary>The mark's colour: the border and the label's band.</summary>
    public static readonly SKColor MarkColor = new(0xFF, 0x00, 0xFF);

    /// <summary>The label's letters.</summary>
    public static readonly SKColor LabelColor = SKColors.White;

    /// <summary>The text a video result carries after its own content.</summary>
    public const string VideoNote = "JobHub simulator: the input video, not upscaled";

    private static readonly string[] VideoExtensions = [".mp4", ".mov", ".avi", ".mkv"];

    /// <summary>The result for an input file (null: none, or not readable), named by <paramref name="extension"/>.</summary>
    public static SampleResult For(byte[]? input, string extension)
    {
        extension = extension.ToLowerInvariant();
        if (input is not null && VideoExtensions.Contains(extension))
        {
            return new SampleResult(MarkVideo(input, extension), extension);
        }

        // Not an image RunningHub could read: a gradient stands in for it, marked the same way.
        return Upscale(input) ?? Upscale(SampleMedia.Png(320, 240, 5))!;
    }

    /// <summary>The image scaled up and marked, JPEG for a JPEG and PNG otherwise; null when it does not decode.</summary>
    public static SampleResult? Upscale(byte[]? input)
    {
        if (input is null)
        {
            return null;
        }

        using var codec = SKCodec.Create(new SKMemoryStream(input));
        using var source = codec is null ? null : SKBitmap.Decode(codec);
        if (codec is null || source is null)
        {
            return null;
        }

        var factor = Math.Min(2.0, (double)MaxSide / Math.Max(source.Width, source.Height));
        int width = Math.Max(1, (int)Math.Round(source.Width * factor)), height = Math.Max(1, (int)Math.Round(source.Height * factor));
        using var target = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(source))
        {
            canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKCubicResampler.Mitchell));
            Mark(canvas, width, height);
        }

        var jpeg = codec.EncodedFormat == SKEncodedImageFormat.Jpeg;
        using var encoded = target.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, 92);
        return new SampleResult(encoded.ToArray(), jpeg ? ".jpg" : ".png");
    }

    /// <summary>How thick the border of a result of this size is.</summary>
    public static int BorderWidth(int width, int height) => Math.Max(2, Math.Min(width, height) / 80);

    /// <summary>
    /// The label's box (its band, inside the border's top-right corner: the side a comparison shows the result on), or
    /// null when the result is too small for it.
    /// </summary>
    public static SKRectI? LabelBox(int width, int height)
    {
        var border = BorderWidth(width, height);
        var cell = Math.Max(1, width / 200);
        int labelWidth = (Label.Length * (GlyphWidth + 1) + 3) * cell, labelHeight = (GlyphHeight + 4) * cell;
        return labelWidth + 2 * border > width || labelHeight + 2 * border > height
            ? null
            : new SKRectI(width - border - labelWidth, border, width - border, border + labelHeight);
    }

    private const string Label = "SIMULATOR";
    private const int GlyphWidth = 5, GlyphHeight = 7;

    // The label's letters on a 5×7 grid, drawn as squares: the simulator needs no font installed.
    private static readonly Dictionary<char, string[]> Glyphs = new()
    {
        ['S'] = [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
        ['I'] = ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "#####"],
        ['M'] = ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
        ['U'] = ["#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
        ['L'] = ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
        ['A'] = [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
        ['T'] = ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
        ['O'] = [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
        ['R'] = ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
    };

    private static void Mark(SKCanvas canvas, int width, int height)
    {
        using var mark = new SKPaint { Color = MarkColor, IsAntialias = false };
        var border = BorderWidth(width, height);
        canvas.DrawRect(0, 0, width, border, mark);
        canvas.DrawRect(0, height - border, width, border, mark);
        canvas.DrawRect(0, 0, border, height, mark);
        canvas.DrawRect(width - border, 0, border, height, mark);
        if (LabelBox(width, height) is not { } box)
        {
            return;
        }

        canvas.DrawRect(box, mark);
        using var letters = new SKPaint { Color = LabelColor, IsAntialias = false };
        var cell = Math.Max(1, width / 200);
        for (var i = 0; i < Label.Length; i++)
        {
            var glyph = Glyphs[Label[i]];
            for (var row = 0; row < GlyphHeight; row++)
            {
                for (var column = 0; column < GlyphWidth; column++)
                {
                    if (glyph[row][column] == '#')
                    {
                        canvas.DrawRect(box.Left + (2 + i * (GlyphWidth + 1) + column) * cell, box.Top + (2 + row) * cell, cell, cell, letters);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The video with <see cref="VideoNote"/> added where its container lets a player skip it: a top-level <c>free</c>
    /// box (MP4, MOV), a <c>JUNK</c> chunk inside the RIFF list (AVI), a Void element (Matroska).
    /// </summary>
    public static byte[] MarkVideo(byte[] input, string extension)
    {
        var note = Encoding.ASCII.GetBytes(VideoNote);
        switch (extension)
        {
            case ".avi" when input.Length >= 12:
                var junk = new byte[8 + note.Length + (note.Length & 1)];
                Encoding.ASCII.GetBytes("JUNK", junk);
                BinaryPrimitives.WriteInt32LittleEndian(junk.AsSpan(4), note.Length);
                note.CopyTo(junk, 8);
                byte[] avi = [.. input, .. junk];
                var riff = BinaryPrimitives.ReadInt32LittleEndian(input.AsSpan(4));
                if (riff + 8 == input.Length)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(avi.AsSpan(4), riff + junk.Length); // one RIFF list: the note goes inside it
                }

                return avi;
            case ".mkv":
                return [.. input, 0xEC, (byte)(0x80 | note.Length), .. note];
            default:
                var box = new byte[8 + note.Length];
                BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
                Encoding.ASCII.GetBytes("free", box.AsSpan(4));
                note.CopyTo(box, 8);
                return [.. input, .. box];
        }
    }
}
