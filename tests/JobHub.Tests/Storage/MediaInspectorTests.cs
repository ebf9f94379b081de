using JobHub.Core.Storage;
using JobHub.Core.Tools;
using JobHub.Simulator;

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
}
