using JobHub.Core.Tools;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace JobHub.Tests.Tools;

public sealed class ToolCatalogTests
{
    private static ToolsOptions Load(IDictionary<string, string?>? overrides = null)
    {
        var options = new ToolsOptions();
        EngineHarness.LoadConfiguration(overrides).GetSection(ToolsOptions.Section).Bind(options.Tools);
        return options;
    }

    [Fact]
    public void ShippedConfiguration_HasTheFourToolsAndIsValid()
    {
        var options = Load();

        var result = new ToolsOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal(["image-upscaler", "pose-changer", "video-upscaler", "virtual-try-on"], options.Tools.Keys.Order());
        Assert.Equal(7, options.Tools["image-upscaler"].Webapps.Count);
    }

    [Theory]
    [InlineData("image-upscaler", "2015865378030755841", "pt-BR", "Pessoas, Perto (rosto, meio corpo), Pro")]
    [InlineData("image-upscaler", "2017030861371219969", "en", "People, Close (face, half body), Standard")]
    [InlineData("image-upscaler", "2018913880214343681", "en", "Old photo")]
    [InlineData("image-upscaler", "1234567", "en", "1234567")] // an app no longer configured: its id
    [InlineData("pose-changer", "2018451429635133442", "pt-BR", null)] // the tool's only app: the tool's name says it
    [InlineData("pose-changer", null, "pt-BR", null)]
    public void AnApp_IsNamedByTheChoicesThatPickIt(string tool, string? webappId, string culture, string? name) =>
        Assert.Equal(name, new ToolCatalog(Microsoft.Extensions.Options.Options.Create(Load())).Find(tool)!.AppName(webappId, culture));

    [Theory]
    [InlineData("JobHub:Tools:pose-changer:CreditCost", "-1", "JobHub:Tools:pose-changer: CreditCost must not be negative.")]
    [InlineData("JobHub:Tools:pose-changer:Inputs:0:Kind", "audio", "input 'person' has Kind 'audio'")]
    [InlineData("JobHub:Tools:pose-changer:Inputs:0:MimeTypes:0", "image/gif", "MimeTypes must be a non-empty subset")]
    [InlineData("JobHub:Tools:pose-changer:Webapps:0:WebappId", "abc", "WebappId 'abc' is not a RunningHub app id")]
    [InlineData("JobHub:Tools:video-upscaler:ReconcileAfter", "01:00:00", "ReconcileAfter must be shorter than HardTimeout")]
    [InlineData("JobHub:Tools:image-upscaler:Webapps:0:When:version", "ultra", "When names 'version=ultra'")]
    [InlineData("JobHub:Tools:image-upscaler:CreditCostBy:Values:gold", "9", "CreditCostBy names value 'gold'")]
    [InlineData("JobHub:Tools:image-upscaler:Parameters:0:Default", "ultra", "Default 'ultra' is not one of its Values")]
    [InlineData("JobHub:Tools:virtual-try-on:Webapps:0:Nodes:shoes:NodeId", "50", "maps 'shoes', which is neither an input nor a parameter")]
    [InlineData("JobHub:Tools:Bad_Key:CreditCost", "1", "JobHub:Tools:Bad_Key: the key must be lower-case")]
    public void BadEntry_IsNamedClearly(string key, string value, string message)
    {
        var result = new ToolsOptionsValidator().Validate(null, Load(new Dictionary<string, string?> { [key] = value }));

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage);
    }

    [Fact]
    public void MissingNodeForAnInput_IsNamed()
    {
        var options = Load();
        options.Tools["pose-changer"].Webapps[0].Nodes.Remove("pose");

        var result = new ToolsOptionsValidator().Validate(null, options);

        Assert.Contains("has no node for input 'pose'", result.FailureMessage);
    }

    [Fact]
    public void UpscalerCost_DependsOnVersion()
    {
        var upscaler = Load().Tools["image-upscaler"];

        Assert.Equal(2, upscaler.CostFor(new Dictionary<string, string> { ["version"] = "standard" }));
        Assert.Equal(4, upscaler.CostFor(new Dictionary<string, string> { ["version"] = "pro" }));
    }
}
