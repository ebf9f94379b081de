using System.Globalization;
using JobHub.Web;

namespace JobHub.Tests.Web;

/// <summary>Numbers as the pages write them, in each language's culture.</summary>
public sealed class NumbersTests
{
    private static void In(string culture) =>
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);

    [Theory]
    [InlineData("pt-BR", 0, "0 B")]
    [InlineData("pt-BR", 512, "512 B")]
    [InlineData("pt-BR", 4608, "4,5 KB")]
    [InlineData("en", 4608, "4.5 KB")]
    [InlineData("pt-BR", 1024, "1 KB")]
    [InlineData("pt-BR", 31457280, "30 MB")]
    [InlineData("en", 1288490189, "1.2 GB")]
    [InlineData("pt-BR", 5L * 1024 * 1024 * 1024 * 1024, "5120 GB")]
    public void Size_UsesTheLargestUnitItFills_WithOneDecimalWhenItHasOne(string culture, long bytes, string shown)
    {
        In(culture);
        Assert.Equal(shown, Numbers.Size(bytes));
    }

    [Theory]
    [InlineData("pt-BR", "0.15", "0,15")]
    [InlineData("en", "0.15", "0.15")]
    [InlineData("pt-BR", "0.0130", "0,0130")]
    [InlineData("en", "0.0130", "0.0130")]
    [InlineData("pt-BR", "2048", "2048")]
    [InlineData("pt-BR", "2017030861371219969", "2017030861371219969")]
    [InlineData("pt-BR", "people", "people")]
    [InlineData("pt-BR", "1.2.3", "1.2.3")]
    public void Stored_WritesAStoredNumberInThePagesCulture_AndLeavesOtherTextAsItIs(string culture, string stored, string shown)
    {
        In(culture);
        Assert.Equal(shown, Numbers.Stored(stored));
    }

    [Theory]
    [InlineData("pt-BR", "0,0130")]
    [InlineData("en", "0.0130")]
    public void Number_KeepsItsDigits(string culture, string shown)
    {
        In(culture);
        Assert.Equal(shown, Numbers.Number(0.0130m));
    }
}
