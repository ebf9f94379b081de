using JobHub.Core.Jobs;
using JobHub.Simulator;
using JobHub.Tests.Infrastructure;

namespace JobHub.Tests.Jobs;

/// <summary>Bad submissions get a clear error, and nothing is created or charged.</summary>
public sealed class SubmitValidationTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private async Task AssertNothingChangedAsync(Guid user, int balance)
    {
        Assert.Equal(0, await h.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
        Assert.Equal(balance, await h.BalanceAsync(user));
        Assert.Equal(0, await h.ScalarAsync<long>($"SELECT count(*) FROM credit_ledger WHERE kind = 'debit'"));
        Assert.Empty(h.RunningHub.Starts);
    }

    [Fact]
    public async Task InsufficientCredits_IsRefusedWithTheCostAndBalance()
    {
        var user = await h.CreateUserAsync(3);

        var result = await h.SubmitAsync(user, "image-upscaler", new Dictionary<string, string?> { ["version"] = "pro" });

        Assert.Equal(SubmitErrors.InsufficientCredits, result.ErrorCode);
        Assert.Equal("This job costs 4 credits and you have 3. Nothing was charged.", result.ErrorMessage);
        await AssertNothingChangedAsync(user, 3);
    }

    [Fact]
    public async Task ExactBalance_IsEnough_AndLeavesZero()
    {
        var user = await h.CreateUserAsync(4);

        var result = await h.SubmitAsync(user, "image-upscaler", new Dictionary<string, string?> { ["version"] = "pro" });

        Assert.True(result.Succeeded);
        Assert.Equal(0, await h.BalanceAsync(user));
    }

    [Fact]
    public async Task UnknownTool_IsRefused()
    {
        var user = await h.CreateUserAsync(10);

        var result = await h.Submit.HandleAsync(new SubmitJobRequest(user, "face-swap", [], new Dictionary<string, string?>()));

        Assert.Equal(SubmitErrors.ToolUnknown, result.ErrorCode);
        await AssertNothingChangedAsync(user, 10);
    }

    [Theory]
    [InlineData("version", "ultra", "'ultra' is not a valid value for 'version'")]
    [InlineData("category", "cars", "'cars' is not a valid value for 'category'")]
    [InlineData("colour", "red", "Unknown parameter 'colour'")]
    [InlineData("prompt", "a\u0000b", "'prompt' contains control characters")]
    [InlineData("detail", "1.5", "'detail' must be between 0 and 1 (was 1.5)")]
    [InlineData("detail", "-0.1", "'detail' must be between 0 and 1 (was -0.1)")]
    [InlineData("detail", "0.155", "'detail' must be in steps of 0.01")]
    [InlineData("detail", "lots", "'detail' must be a number")]
    [InlineData("editing", "2", "'editing' must be between 0 and 1")]
    public async Task InvalidParameter_IsRefused(string key, string value, string message)
    {
        var user = await h.CreateUserAsync(10);

        // The pro close-portrait app takes every parameter, so each is checked for its own value.
        var result = await h.SubmitAsync(user, "image-upscaler", new Dictionary<string, string?> { ["version"] = "pro", [key] = value });

        Assert.Equal(SubmitErrors.ParameterInvalid, result.ErrorCode);
        Assert.Contains(message, result.ErrorMessage);
        await AssertNothingChangedAsync(user, 10);
    }

    [Fact]
    public async Task TooLongPrompt_IsRefused()
    {
        var user = await h.CreateUserAsync(10);

        var result = await h.SubmitAsync(user, "image-upscaler", new Dictionary<string, string?> { ["version"] = "pro", ["prompt"] = new string('a', 2001) });

        Assert.Equal(SubmitErrors.ParameterInvalid, result.ErrorCode);
        await AssertNothingChangedAsync(user, 10);
    }

    [Theory]
    [InlineData("food", "framing", "far")]
    [InlineData("food", "resolution", "4k")]
    [InlineData("old_photo", "detail", "0.5")]
    [InlineData("logo", "detail", "0.5")] // the standard version of the logo app takes the image alone
    [InlineData("people", "prompt", "my own prompt")] // a custom prompt is for the pro version
    [InlineData("people", "editing", "0.2")]
    public async Task AParameterTheChosenAppDoesNotTake_IsRefused_AndNothingIsCharged(string category, string key, string value)
    {
        var user = await h.CreateUserAsync(10);

        var result = await h.SubmitAsync(user, "image-upscaler", new Dictionary<string, string?> { ["category"] = category, [key] = value });

        Assert.Equal(SubmitErrors.ParameterInvalid, result.ErrorCode);
        Assert.Contains($"'{key}' does not apply", result.ErrorMessage);
        await AssertNothingChangedAsync(user, 10);
    }

    [Fact]
    public async Task FoodTakesItsOwnDetailRange_AndTheRightAppIsChosen()
    {
        var user = await h.CreateUserAsync(10);

        var low = await h.SubmitAsync(user, "image-upscaler", new Dictionary<string, string?> { ["category"] = "food", ["detail"] = "0.5" });
        Assert.Contains("'detail' must be between 0.7 and 1", low.ErrorMessage);

        var result = await h.SubmitAsync(user, "image-upscaler", new Dictionary<string, string?> { ["category"] = "food", ["detail"] = "0.90" });
        Assert.True(result.Succeeded, result.ErrorMessage);
        Assert.Equal("2015855359243587585", result.Job!.WebappId);
        Assert.Equal("0.9", result.Job.ParameterValues["detail"]);
        Assert.DoesNotContain("framing", result.Job.ParameterValues.Keys);
    }

    [Fact]
    public async Task MissingInput_IsRefused()
    {
        var user = await h.CreateUserAsync(10);
        var inputs = (await h.InputsForAsync("pose-changer")).Where(i => i.Key == "person").ToList();

        var result = await h.Submit.HandleAsync(new SubmitJobRequest(user, "pose-changer", inputs, new Dictionary<string, string?>()));

        Assert.Equal(SubmitErrors.InputInvalid, result.ErrorCode);
        Assert.Contains("'pose' is missing", result.ErrorMessage);
        await AssertNothingChangedAsync(user, 10);
    }

    [Fact]
    public async Task ForgedStoredName_OutsideStorage_IsRefused()
    {
        var user = await h.CreateUserAsync(10);
        var inputs = (await h.InputsForAsync("video-upscaler")).Select(i => i with { StoredName = "../../../etc/passwd" }).ToList();

        var result = await h.Submit.HandleAsync(new SubmitJobRequest(user, "video-upscaler", inputs, new Dictionary<string, string?>()));

        Assert.Equal(SubmitErrors.InputInvalid, result.ErrorCode);
        await AssertNothingChangedAsync(user, 10);
    }

    [Fact]
    public async Task StoredInputThatClaimsAnotherType_IsRefused()
    {
        var user = await h.CreateUserAsync(10);
        var inputs = (await h.InputsForAsync("pose-changer")).Select(i => i with { MimeType = "image/jpeg" }).ToList();

        var result = await h.Submit.HandleAsync(new SubmitJobRequest(user, "pose-changer", inputs, new Dictionary<string, string?>()));

        Assert.Equal(SubmitErrors.InputInvalid, result.ErrorCode);
        Assert.Contains("not what it claims", result.ErrorMessage);
        await AssertNothingChangedAsync(user, 10);
    }

    [Fact]
    public async Task FileThatIsNotWhatItsNameSays_IsNotStored()
    {
        var text = "this is not a picture, whatever its name says"u8.ToArray();
        var video = SampleMedia.Mp4(320, 240, 2);

        var fake = await h.StoreInput.HandleAsync("pose-changer", "person", new MemoryStream(text), "photo.png", long.MaxValue, CancellationToken.None);
        var wrongKind = await h.StoreInput.HandleAsync("pose-changer", "person", new MemoryStream(video), "photo.png", long.MaxValue, CancellationToken.None);

        Assert.Null(fake.Input);
        Assert.Equal("INPUT_UNREADABLE", fake.ErrorCode);
        Assert.Null(wrongKind.Input);
        Assert.Equal("INPUT_WRONG_TYPE", wrongKind.ErrorCode);
        Assert.Contains("MP4", wrongKind.ErrorMessage);
    }

    [Fact]
    public async Task UnknownUser_IsRefused()
    {
        var result = await h.SubmitAsync(Guid.NewGuid(), "pose-changer");

        Assert.Equal(SubmitErrors.UserUnknown, result.ErrorCode);
        Assert.Equal(0, await h.ScalarAsync<long>($"SELECT count(*) FROM jobs"));
    }
}
