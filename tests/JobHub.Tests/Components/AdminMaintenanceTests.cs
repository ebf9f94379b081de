using AngleSharp.Dom;
using Bunit;
using JobHub.Core.Maintenance;
using JobHub.Web.Components.Pages.Admin;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace JobHub.Tests.Components;

/// <summary>The maintenance page (bUnit, real engine and Hangfire): a sweep run from its row shows there while it runs, then how it ended.</summary>
public sealed class AdminMaintenanceTests : EngineComponentTests
{
    private readonly GatedTask gated = new();

    protected override void AddServices(IServiceCollection services) => services.AddSingleton<IMaintenanceTask>(gated);

    private static IElement Row(IRenderedComponent<AdminMaintenance> page, string key) =>
        page.Find($"#tasks [data-task='{key}']").ParentElement!;

    [Fact]
    public async Task RunNow_ShowsTheRunInItsRow_WhileItRuns_ThenItsOutcomeAndCounts()
    {
        SignIn(await H.CreateUserAsync(0), admin: true);
        var dialogs = Ui.Render<MudDialogProvider>();
        var page = Ui.Render<AdminMaintenance>();
        page.WaitForAssertion(() => Assert.NotNull(Row(page, gated.Key)), TimeSpan.FromSeconds(10));

        Row(page, gated.Key).QuerySelector("button.run-now")!.Click();
        dialogs.WaitForAssertion(() => dialogs.Find("#confirm-reason").Input("trying the gated sweep"));
        dialogs.Find("button#confirm-yes").Click();

        page.WaitForAssertion(() => Assert.Equal("running", Row(page, gated.Key).QuerySelector(".outcome")!.TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.True(await gated.Started.Task.WaitAsync(TimeSpan.FromSeconds(20))); // the run really is under way
        Assert.All(page.FindAll("#tasks button.run-now"), button => Assert.True(button.HasAttribute("disabled")));

        gated.Release.SetResult();

        page.WaitForAssertion(() => Assert.Equal("succeeded", Row(page, gated.Key).QuerySelector(".outcome")!.TextContent.Trim()), TimeSpan.FromSeconds(20));
        Assert.Contains("gated", Row(page, gated.Key).QuerySelector(".counts")!.TextContent);
        Assert.Single(page.FindAll("#runs [data-trigger='manual']"));
    }

    private sealed class GatedTask : IMaintenanceTask
    {
        public TaskCompletionSource<bool> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Key => "gated";
        public string Description => "waits to be released";

        public async Task<MaintenanceCounts> RunAsync(CancellationToken cancellationToken)
        {
            Started.TrySetResult(true);
            await Release.Task.WaitAsync(cancellationToken);
            return new MaintenanceCounts { ["gated"] = 1 };
        }
    }
}
