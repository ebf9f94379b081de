using Bunit;
using JobHub.Core.Jobs;
using JobHub.Web.Components.Jobs;

namespace JobHub.Tests.Components;

/// <summary>The result view of a finished job (bUnit): image comparison, video player, downloads, the copy note.</summary>
public sealed class ResultTests : IAsyncLifetime
{
    private readonly ComponentContext ui = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await ui.DisposeAsync();

    private static readonly StoredInput Photo = new("image", "in.png", "image/png", 1000, 640, 480, null, "photo.png");

    private static Job Completed(string toolKey, IReadOnlyList<StoredInput> inputs, params JobOutput[] outputs) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = Guid.NewGuid(),
        ToolKey = toolKey,
        Status = JobStatus.Completed,
        AccountKey = Core.RunningHub.RunningHubAccounts.SimulatorKey,
        Inputs = JobJson.Serialize(inputs),
        Outputs = JobJson.Serialize(outputs),
    };

    [Fact]
    public void AnImageResult_IsComparedWithItsInput_AndTheSliderMovesTheSplit()
    {
        var job = Completed("image-upscaler", [Photo], new JobOutput("https://rh.example/out.png", "9", "png", "out-0.png"));

        var cut = ui.Render<Result>(ps => ps.Add(p => p.Job, job).Add(p => p.Tool, ComponentContext.Catalog.Find("image-upscaler")!));

        var before = cut.Find("#compare img.jobhub-compare-before");
        Assert.Equal($"/files/jobs/{job.Id}/inputs/0", before.GetAttribute("src"));
        Assert.Equal($"/files/jobs/{job.Id}/outputs/0", cut.Find("#result-image").GetAttribute("src"));
        Assert.Equal("--split: 50%", cut.Find("#compare").GetAttribute("style"));
        Assert.Equal("aspect-ratio: 640 / 480", cut.Find("#compare .jobhub-compare-stage").GetAttribute("style")); // the box is the input's shape

        cut.Find("input#compare-slider").Input("20");

        Assert.Equal("--split: 20%", cut.Find("#compare").GetAttribute("style"));
        Assert.Equal($"/files/jobs/{job.Id}/outputs/0?download=true", cut.Find("#download-0").GetAttribute("href"));
        Assert.Empty(cut.FindAll("#copying"));
    }

    [Fact]
    public void AResultNotYetCopied_LinksRunningHubsFile_AndSaysItIsBeingCopied()
    {
        var job = Completed("image-upscaler", [Photo], new JobOutput("https://rh.example/out.png", "9", "png"));

        var cut = ui.Render<Result>(ps => ps.Add(p => p.Job, job).Add(p => p.Tool, ComponentContext.Catalog.Find("image-upscaler")!));

        Assert.Equal("https://rh.example/out.png", cut.Find("#result-image").GetAttribute("src"));
        Assert.Equal("https://rh.example/out.png", cut.Find("#download-0").GetAttribute("href"));
        Assert.NotEmpty(cut.Find("#copying").TextContent);
    }

    [Theory]
    [InlineData("http://rh.example/out.html")] // not https
    [InlineData("https://attacker.example/out.svg")] // not a host the account's results come from
    [InlineData("javascript:alert(1)")]
    public void AResultNotYetCopied_WhoseLinkIsNotHttpsOnAnAllowedHost_IsNeitherShownNorLinked(string url)
    {
        var job = Completed("image-upscaler", [Photo], new JobOutput(url, "9", "png"));

        var cut = ui.Render<Result>(ps => ps.Add(p => p.Job, job).Add(p => p.Tool, ComponentContext.Catalog.Find("image-upscaler")!));

        Assert.DoesNotContain(url, cut.Markup);
        Assert.Empty(cut.FindAll("#result-image"));
        Assert.Empty(cut.FindAll("#download-0"));
        Assert.NotEmpty(cut.Find("#copying").TextContent);
    }

    [Fact]
    public void AVideoResult_IsPlayed_NotCompared()
    {
        var clip = new StoredInput("video", "in.mp4", "video/mp4", 1000, 640, 360, 4.0, "clip.mp4");
        var job = Completed("video-upscaler", [clip], new JobOutput("https://rh.example/out.mp4", "5", "mp4", "out-0.mp4"));

        var cut = ui.Render<Result>(ps => ps.Add(p => p.Job, job).Add(p => p.Tool, ComponentContext.Catalog.Find("video-upscaler")!));

        Assert.Equal($"/files/jobs/{job.Id}/outputs/0", cut.Find("video#result-video-0").GetAttribute("src"));
        Assert.Empty(cut.FindAll("#compare"));
    }
}
