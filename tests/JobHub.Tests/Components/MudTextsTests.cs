using JobHub.Web.Components.Layout;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace JobHub.Tests.Components;

/// <summary>MudBlazor's own texts come from JobHub's resources in the page's language; a key JobHub leaves out keeps MudBlazor's English.</summary>
public sealed class MudTextsTests
{
    [Theory]
    [InlineData("pt-BR", "Próxima página", "Fechar")]
    [InlineData("en", "Next page", "Close")]
    public async Task MudBlazorsTexts_AreInThePagesLanguage(string culture, string nextPage, string closeDialog)
    {
        await using var ui = new ComponentContext(culture);
        var texts = ui.Services.GetRequiredService<MudLocalizer>();

        Assert.IsType<MudTexts>(texts);
        Assert.Equal(nextPage, texts["MudDataGridPager_NextPage"].Value);
        Assert.Equal(closeDialog, texts["MudDialog_Close"].Value);
        Assert.True(texts["MudColorPicker_HueSlider"].ResourceNotFound); // not translated here: MudBlazor then uses its own English
    }
}
