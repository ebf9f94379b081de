using System.Globalization;
using JobHub.Web.Jobs;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Web;

/// <summary>An estimate said plainly, in the page's language, by the one formatter every estimate on the tool pages uses.</summary>
public sealed class EstimateTextsTests
{
    private static string Say(string culture, TimeSpan estimate)
    {
        var factory = new ResourceManagerStringLocalizerFactory(Options.Create(new LocalizationOptions { ResourcesPath = "Resources" }), NullLoggerFactory.Instance);
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            return EstimateTexts.Say(factory.Create(typeof(JobHub.Web.Strings)), estimate);
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }

    [Theory]
    [InlineData(2, "2 s", "2 s")]
    [InlineData(0.2, "1 s", "1 s")]
    [InlineData(59, "59 s", "59 s")]
    [InlineData(140, "cerca de 2 min", "about 2 min")]
    [InlineData(170, "cerca de 3 min", "about 3 min")]
    [InlineData(3900, "cerca de 1 h 5 min", "about 1 h 5 min")]
    [InlineData(7190, "cerca de 2 h", "about 2 h")]
    public void AnEstimate_IsSaidPlainly_InEachLanguage(double seconds, string portuguese, string english)
    {
        Assert.Equal(portuguese, Say("pt-BR", TimeSpan.FromSeconds(seconds)));
        Assert.Equal(english, Say("en", TimeSpan.FromSeconds(seconds)));
    }
}
