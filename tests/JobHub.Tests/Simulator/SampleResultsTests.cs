using System.Text;
using JobHub.Core.RunningHub;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;
using SkiaSharp;

namespace JobHub.Tests.Simulator;

/// <summary>The simulator's results show what the tools are for: the input scaled up, marked as the simulator's; a video that is not the input.</summary>
public sealed class SampleResultsTests
{
    private static SKBitmap Decode(byte[] content) => SKBitmap.Decode(content) ?? throw new InvalidDataException("not an image");

    [Fact]
    public void AnImage_IsScaledToTwiceItsSize_WithTheMarkDrawnOnIt()
    {
        var input = SampleMedia.Png(1200, 800, 3);

        var result = SampleResults.Upscale(input)!;

        Assert.Equal(".png", result.Extension);
        Assert.NotEqual(input, result.Content);
        using var output = Decode(result.Content);
        using var original = Decode(input);
        Assert.Equal((2400, 1600), (output.Width, output.Height));
        // The border, all around.
        Assert.Equal(SampleResults.MarkColor, output.GetPixel(0, 0));
        Assert.Equal(SampleResults.MarkColor, output.GetPixel(2399, 1599));
        Assert.Equal(SampleResults.MarkColor, output.GetPixel(1200, 1599));
        // The label: its band and its letters' white squares.
        var box = SampleResults.LabelBox(2400, 1600)!.Value;
        var pixels = Enumerable.Range(box.Left, box.Width).SelectMany(x => Enumerable.Range(box.Top, box.Height).Select(y => output.GetPixel(x, y))).ToList();
        Assert.Contains(SampleResults.LabelColor, pixels);
        Assert.Contains(SampleResults.MarkColor, pixels);
        // Elsewhere, the input's own picture, scaled.
        AssertClose(original.GetPixel(600, 400), output.GetPixel(1200, 800));
        AssertClose(original.GetPixel(900, 600), output.GetPixel(1800, 1200));
    }

    [Fact]
    public void ALargeImage_IsCappedAtTheLongestSide()
    {
        using var output = Decode(SampleResults.Upscale(SampleMedia.Png(3000, 2000, 1))!.Content);

        Assert.Equal((SampleResults.MaxSide, 2731), (output.Width, output.Height));
        Assert.Equal(SampleResults.MarkColor, output.GetPixel(0, 0));
    }

    [Fact]
    public void AJpeg_StaysAJpeg()
    {
        using var source = Decode(SampleMedia.Png(60, 40, 2));
        using var jpeg = source.Encode(SKEncodedImageFormat.Jpeg, 90);

        var result = SampleResults.For(jpeg.ToArray(), ".jpg");

        Assert.Equal(".jpg", result.Extension);
        using var output = Decode(result.Content);
        Assert.Equal((120, 80), (output.Width, output.Height));
    }

    [Theory]
    [InlineData(".mp4")]
    [InlineData(".mov")]
    public void AVideo_KeepsItsContainer_WithTheNoteInAFreeBox(string extension)
    {
        var input = SampleMedia.Mp4(320, 240, 2);

        var result = SampleResults.For(input, extension);

        Assert.Equal(extension, result.Extension);
        Assert.NotEqual(input, result.Content);
        Assert.Equal(input, result.Content[..input.Length]); // the video itself plays as it did
        Assert.Equal("free", Encoding.ASCII.GetString(result.Content, input.Length + 4, 4));
        Assert.Contains(SampleResults.VideoNote, Encoding.ASCII.GetString(result.Content));
        Assert.Equal(result.Content.Length - input.Length, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(result.Content.AsSpan(input.Length)));
    }

    [Fact]
    public void AnAvi_CarriesTheNoteInsideItsRiffList()
    {
        var input = SampleMedia.Avi(8, 8, 1);

        var result = SampleResults.For(input, ".avi");

        Assert.Equal(result.Content.Length - 8, BitConverter.ToInt32(result.Content, 4));
        Assert.Equal("JUNK", Encoding.ASCII.GetString(result.Content, input.Length, 4));
        Assert.Contains(SampleResults.VideoNote, Encoding.ASCII.GetString(result.Content));
    }

    [Fact]
    public async Task TheSimulator_ReturnsTheUpscaledMarkedInput()
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorSettings { QueuedFor = TimeSpan.Zero, RunFor = TimeSpan.FromMilliseconds(100) });
        var client = sim.Client();
        var input = SampleMedia.Png(1200, 800, 4);
        var upload = await client.UploadAsync(sim.Account, new MemoryStream(input), "photo.png", "image/png", default);

        var start = await client.StartAsync(sim.Account, new StartRequest(SimulatorControlTests.OldPhotoApp, [new NodeInfo("139", "image", upload.FileName!)], null), default);
        var done = await sim.WaitForAsync(() => client.QueryAsync(sim.Account, start.TaskId!, default), q => q.Status == RemoteTaskStatus.Success);

        using var http = new HttpClient();
        var content = await http.GetByteArrayAsync(Assert.Single(done.Outputs).Url);
        using var output = Decode(content);
        Assert.Equal((2400, 1600), (output.Width, output.Height));
        Assert.Equal(SampleResults.MarkColor, output.GetPixel(5, 800));
        Assert.NotEqual(input, content);
    }

    private static void AssertClose(SKColor expected, SKColor actual) =>
        Assert.True(Math.Abs(expected.Red - actual.Red) <= 3 && Math.Abs(expected.Green - actual.Green) <= 3 && Math.Abs(expected.Blue - actual.Blue) <= 3,
            $"{actual} is not the input's {expected}");
}
