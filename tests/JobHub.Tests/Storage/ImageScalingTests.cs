using JobHub.Core.Storage;
using SkiaSharp;

namespace JobHub.Tests.Storage;

public sealed class ImageScalingTests
{
    [Fact]
    public void AnImageOverThePixelBound_IsRefusedBeforeItIsDecoded()
    {
        using var bitmap = new SKBitmap(400, 300);
        bitmap.Erase(SKColors.SeaGreen);
        using var png = new MemoryStream(bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray());

        var ex = Assert.Throws<InvalidDataException>(() => ImageScaling.ToLongestSide(png, "image/png", 100, maxPixels: 400 * 300 - 1));
        Assert.Contains("400 × 300", ex.Message);

        png.Position = 0;
        var scaled = ImageScaling.ToLongestSide(png, "image/png", 100, maxPixels: 400 * 300);
        Assert.Equal((100, 75), (scaled.Width, scaled.Height));
    }
}
