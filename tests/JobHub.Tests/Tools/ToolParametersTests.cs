using JobHub.Core.Tools;
using JobHub.Tests.Components;

namespace JobHub.Tests.Tools;

/// <summary>Which parameters apply: the one rule the server's check, the tool page's form and a job's settings share.</summary>
public sealed class ToolParametersTests
{
    private static readonly ToolDefinition Upscaler = ComponentContext.Catalog.Find("image-upscaler")!;

    [Fact]
    public void Applying_FollowsEachConditionOnTheValuesBeforeIt_AndTakesOneDefinitionPerKey()
    {
        var chosen = new Dictionary<string, string> { ["version"] = "pro", ["category"] = "logo", ["framing"] = "close" };

        var applying = ToolParameters.Applying(Upscaler, p => chosen.GetValueOrDefault(p.Key) ?? p.Default).ToList();

        Assert.Equal(["version", "category", "detail"], applying.Select(a => a.Parameter.Key)); // framing is for people only
        Assert.Equal((0.01m, "0.40"), (applying[2].Parameter.Min, applying[2].Value)); // the logo's detail level, not the people's
    }

    [Fact]
    public void Applying_LeavesOutWhatDependsOnAnUnansweredChoice()
    {
        var applying = ToolParameters.Applying(Upscaler, p => p.Key == "category" ? null : p.Default).ToList();

        Assert.Equal(["version", "category"], applying.Select(a => a.Parameter.Key));
    }

    [Fact]
    public void Stored_GivesEachStoredValueTheDefinitionItWasCheckedAgainst()
    {
        var stored = new Dictionary<string, string> { ["version"] = "standard", ["category"] = "food", ["detail"] = "0.9" };

        var settings = ToolParameters.Stored(Upscaler, stored).ToList();

        Assert.Equal(["version", "category", "detail"], settings.Select(s => s.Parameter.Key));
        Assert.Equal((0.70m, "0.9"), (settings[2].Parameter.Min, settings[2].Value));
    }
}
