using JobHub.Bench;
using JobHub.Bench.Load;

namespace JobHub.Tests.Load;

/// <summary>The benchmark's options: what it accepts, and a clear refusal of anything else.</summary>
public sealed class BenchArgumentsTests
{
    [Fact]
    public void Options_AreRead()
    {
        var options = BenchArguments.Parse(["--users", "500", "--seconds", "600", "--faults", "lost,kill", "--browsers", "0", "--pages", "200"]);

        Assert.Equal(new BenchArguments(500, 600, Faults.LostWebhooks | Faults.Kill, 0, 200), options);
        Assert.Equal(["pose-changer", "pose-changer", "video-upscaler"], BenchArguments.Parse(["--tools", "pose-changer,pose-changer, video-upscaler"]).Tools);
        Assert.Equal(Faults.All, FaultNames.Parse("all"));
        Assert.Equal(Faults.ProviderMix | Faults.Kill | Faults.PostgresRestart, FaultNames.Parse("provider-mix, kill, pg-restart"));
    }

    [Theory]
    [InlineData("--users", "0", "above zero")]
    [InlineData("--users", "-5", "whole number")]
    [InlineData("--seconds", "ten", "whole number")]
    [InlineData("--faults", "lost,meteor", "unknown fault")]
    [InlineData("--colour", "blue", "unknown option")]
    [InlineData("--users", null, "needs a value")]
    [InlineData("--tools", "image-upscaler,face-swap", "tool keys")]
    [InlineData("--tools", ",", "tool keys")]
    public void BadOptions_AreRefusedWithTheReason(string name, string? value, string reason)
    {
        string[] args = value is null ? [name] : [name, value];

        var error = Assert.Throws<ArgumentException>(() => BenchArguments.Parse(args));

        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void TheFaultMix_SetsTheSimulator()
    {
        var settings = FaultNames.Simulator(Faults.ProviderMix, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

        Assert.Equal((0.3, 0.3, 0.1, 0.1, 0.05), (settings.WebhookLostRate, settings.WebhookDuplicateRate, settings.FailureRate,
            settings.CapacityErrorRate, settings.StartUnknownRate));
        Assert.Equal(0, FaultNames.Simulator(Faults.Kill, TimeSpan.Zero, TimeSpan.Zero).WebhookLostRate);
    }
}
