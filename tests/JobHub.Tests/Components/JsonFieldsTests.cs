using Bunit;
using JobHub.Web.Components.Pages.Admin;

namespace JobHub.Tests.Components;

/// <summary>RunningHub's figures (its money and times come as text) read in the page's culture; other values as they are.</summary>
public sealed class JsonFieldsTests
{
    [Theory]
    [InlineData("pt-BR", "0,0130", "0,5")]
    [InlineData("en", "0.0130", "0.5")]
    public async Task Figures_AreInThePagesCulture(string culture, string money, string seconds)
    {
        await using var ui = new ComponentContext(culture);

        var fields = ui.Render<JsonFields>(ps => ps.Add(p => p.Json, """{"consumeMoney":"0.0130","taskCostTime":0.5,"taskId":"2017030861371219969","status":"SUCCESS"}"""));

        var values = fields.FindAll("dd").Select(dd => dd.TextContent.Trim()).ToList();
        Assert.Equal([money, seconds, "2017030861371219969", "SUCCESS"], values);
    }
}
