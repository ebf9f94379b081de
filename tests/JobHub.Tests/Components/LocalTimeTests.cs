using Bunit;
using JobHub.Web.Components.Layout;

namespace JobHub.Tests.Components;

/// <summary>Times in the person's time zone (bUnit): the zone the layout cascades, UTC before it is known or when unknown.</summary>
public sealed class LocalTimeTests : IAsyncLifetime
{
    private readonly ComponentContext ui = new("pt-BR");
    private static readonly DateTime Noon = new(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await ui.DisposeAsync();

    private IRenderedComponent<LocalTime> RenderIn(BrowserTimeZone zone) =>
        ui.Render<LocalTime>(ps => ps.Add(p => p.Value, Noon).AddCascadingValue(zone));

    [Fact]
    public void ATime_IsShownInTheBrowsersZone_WithUtcInTheMarkup()
    {
        var cut = RenderIn(BrowserTimeZone.From("America/Sao_Paulo"));

        var time = cut.Find("time");
        Assert.Equal("25/11/2026 09:00", time.TextContent);
        Assert.Equal("America/Sao_Paulo", time.GetAttribute("data-zone"));
        Assert.Equal("2026-11-25 12:00:00 UTC", time.GetAttribute("title"));
        Assert.StartsWith("2026-11-25T12:00:00", time.GetAttribute("datetime"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Not/AZone")]
    [InlineData("../../etc/passwd")]
    public void AnUnknownZone_IsUtc(string? id)
    {
        var cut = RenderIn(BrowserTimeZone.From(id));

        Assert.Equal("25/11/2026 12:00", cut.Find("time").TextContent);
        Assert.Equal("UTC", cut.Find("time").GetAttribute("data-zone"));
    }

    [Fact]
    public void NoTime_IsADash() =>
        Assert.Equal("–", ui.Render<LocalTime>(ps => ps.Add(p => p.Value, (DateTime?)null)).Find("span").TextContent);
}
