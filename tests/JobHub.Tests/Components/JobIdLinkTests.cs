using Bunit;
using JobHub.Web.Components.Jobs;

namespace JobHub.Tests.Components;

/// <summary>A job's id (bUnit): its end as a link, and a copy button drawn as MudBlazor's icon (an SVG), never a font glyph that a browser may lack.</summary>
public sealed class JobIdLinkTests : IAsyncLifetime
{
    private readonly ComponentContext ui = new("pt-BR");
    private static readonly Guid Id = Guid.Parse("019af3c2-7b1e-7c44-9d0a-3f5e2a1b4c6d");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await ui.DisposeAsync();

    [Fact]
    public void TheCopyButton_IsAnSvgIcon_WithANameAndTheWholeId()
    {
        var cut = ui.Render<JobIdLink>(ps => ps.Add(p => p.JobId, Id).Add(p => p.Href, $"/admin/jobs/{Id}"));

        var button = cut.Find("button.jobhub-copy");
        Assert.Equal(Id.ToString(), button.GetAttribute("data-copy"));
        Assert.False(string.IsNullOrWhiteSpace(button.GetAttribute("aria-label")));
        Assert.NotNull(button.QuerySelector("svg.mud-icon-root path"));
        Assert.Equal("", button.TextContent.Trim());
        Assert.Equal("…2a1b4c6d", cut.Find("a").TextContent);
    }
}
