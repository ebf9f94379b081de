using JobHub.Core.Jobs.Outputs;
using JobHub.Core.Storage;
using JobHub.Core.Tools;
using JobHub.Simulator;
using SkiaSharp;

namespace JobHub.Tests.Storage;

public sealed class MediaInspectorTests
{
    private static readonly InputDefinition Image = new()
    {
        Key = "image", Kind = InputKinds.Image, MimeTypes = ["image/png", "image/jpeg"], MaxBytes = 100_000, MaxWidth = 100, MaxHeight = 100,
    };

    private static readonly InputDefinition Video = new()
    {
        Key = "video", Kind = InputKinds.Video, MimeTypes = ["video/mp4"], MaxBytes = 100_000, MaxWidth = 1920, MaxHeight = 1080, MaxDurationSeconds = 10,
    };

    private static (MediaInfo? Info, MediaRejection? Rejection) Inspect(byte[] bytes, InputDefinition input) =>
        MediaInspector.Inspect(new MemoryStream(bytes), bytes.Length, input);

    [Fact]
    public void Png_IsRecognisedByContent_WithItsDimensions()
    {
        var (info, rejection) = Inspect(SampleMedia.Png(64, 48), Image);

        Assert.Null(rejection);
        Assert.Equal(new MediaInfo("image/png", "png", 64, 48, null), info);
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("image/jpeg")]
    [InlineData("video/mp4")]
    public void AFileStoredUnderTheExtensionItsContentGave_IsKnownByThatExtensionAgain(string type)
    {
        var bytes = type switch
        {
            "image/png" => SampleMedia.Png(8, 8),
            "image/jpeg" => (byte[])[0xFF, 0xD8, 0xFF, 0xE0],
            _ => SampleMedia.Mp4(64, 48, 1),
        };

        var (sniffed, extension) = MediaTypes.Sniff(bytes)!.Value;

        Assert.Equal((type, type), (sniffed, MediaTypes.ForExtension("." + extension)));
        Assert.Equal(type.StartsWith("image/", StringComparison.Ordinal), ResultThumbnails.NameFor("outputs/a." + extension) is not null);
    }

    [Fact]
    public void Mp4_IsRecognised_WithDimensionsAndDuration()
    {
        var (info, rejection) = Inspect(SampleMedia.Mp4(1280, 720, 8.5), Video);

        Assert.Null(rejection);
        Assert.Equal(("video/mp4", 1280, 720, 8.5), (info!.MimeType, info.Width, info.Height, info.DurationSeconds));
    }

    [Theory]
    [InlineData("INPUT_TOO_BIG", 101, 10)]
    [InlineData("INPUT_TOO_BIG", 10, 101)]
    public void OversizedImage_IsRefused(string code, int width, int height) =>
        Assert.Equal(code, Inspect(SampleMedia.Png(width, height), Image).Rejection?.Code);

    [Fact]
    public void TooLongVideo_IsRefused() =>
        Assert.Equal("INPUT_TOO_LONG", Inspect(SampleMedia.Mp4(640, 360, 10.5), Video).Rejection?.Code);

    [Fact]
    public void TooManyBytes_IsRefused_BeforeParsing() =>
        Assert.Equal("INPUT_TOO_LARGE", MediaInspector.Inspect(new MemoryStream(), 100_001, Image).Rejection?.Code);

    [Fact]
    public void EmptyFile_IsRefused() => Assert.Equal("INPUT_EMPTY", Inspect([], Image).Rejection?.Code);

    [Fact]
    public void TextRenamedAsImage_IsRefused() =>
        Assert.Equal("INPUT_UNREADABLE", Inspect("<html>not an image</html>"u8.ToArray(), Image).Rejection?.Code);

    [Fact]
    public void VideoForAnImageInput_IsRefusedAsWrongType() =>
        Assert.Equal("INPUT_WRONG_TYPE", Inspect(SampleMedia.Mp4(64, 48, 1), Image).Rejection?.Code);

    [Fact]
    public void TruncatedPng_IsRefused() =>
        Assert.NotNull(Inspect(SampleMedia.Png(64, 48)[..20], Image).Rejection);

    private static readonly InputDefinition AnyVideo = new()
    {
        Key = "video", Kind = InputKinds.Video, MimeTypes = ["video/mp4", "video/quicktime", "video/x-msvideo"], MaxBytes = 1_000_000,
        MaxWidth = 1920, MaxHeight = 1080, MaxDurationSeconds = 60,
    };

    [Fact]
    public void Avi_IsAccepted_AsTheConfiguredType_WithItsDuration()
    {
        var (info, rejection) = Inspect(SampleMedia.Avi(32, 24, 3), AnyVideo);

        Assert.Null(rejection);
        Assert.Equal(("video/x-msvideo", 32, 24, 3.0), (info!.MimeType, info.Width, info.Height, info.DurationSeconds));
    }

    [Fact]
    public void TooLongAvi_IsRefused_WithItsDurationAndTheLimit()
    {
        var rejection = Inspect(SampleMedia.Avi(8, 8, 61), AnyVideo).Rejection;

        Assert.Equal("INPUT_TOO_LONG", rejection?.Code);
        Assert.Equal(["61", "60"], rejection!.Arguments);
    }

    [Fact]
    public void Refusals_CarryTheirNumbers()
    {
        Assert.Equal(["101×10", "100×100"], Inspect(SampleMedia.Png(101, 10), Image).Rejection!.Arguments);
        Assert.Equal(["MP4", "PNG, JPEG"], Inspect(SampleMedia.Mp4(64, 48, 1), Image).Rejection!.Arguments);
    }

    [Fact]
    public void FormatNames_AreTheOnesPeopleKnow() =>
        Assert.Equal("MP4, MOV, AVI", MediaTypes.List(["video/mp4", "video/quicktime", "video/x-msvideo"]));

    private static byte[] Jpeg(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        var random = new Random(7);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        return data.ToArray();
    }

    [Fact]
    public void CompleteJpeg_IsAccepted() => Assert.Null(Inspect(Jpeg(100, 80), Image).Rejection);

    [Theory]
    [InlineData(5 * 1024)]
    [InlineData(-2)]
    public void JpegCutShort_IsRefused_AsDamaged(int keep)
    {
        var jpeg = Jpeg(100, 100);
        Assert.True(jpeg.Length > 6 * 1024, "the sample must be larger than what is kept");
        var cut = keep > 0 ? jpeg[..keep] : jpeg[..^-keep];

        Assert.Equal("INPUT_DAMAGED", Inspect(cut, Image).Rejection?.Code);
    }
}
