using Bunit;
using JobHub.Web.Components.Layout;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace JobHub.Tests.Components;

/// <summary>The confirmation that asks for a reason: no complaint before the person has done anything, then one in the page's language.</summary>
public sealed class ConfirmDialogTests
{
    [Theory]
    [InlineData("pt-BR", "Informe um motivo.")]
    [InlineData("en", "A reason is required.")]
    public async Task TheReason_IsSaidToBeRequired_OnlyOnceThePersonEmptiedIt_InThePagesLanguage(string culture, string required)
    {
        await using var ui = new ComponentContext(culture);
        var dialogs = ui.Render<MudDialogProvider>();
        _ = dialogs.InvokeAsync(() => ConfirmDialog.AskAsync(ui.Services.GetRequiredService<IDialogService>(), "Cancel", "Cancel this job?", "Cancel", "Back",
            askReason: true));
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.Find("#confirm-reason")));

        Assert.Empty(dialogs.FindAll(".mud-input-error"));
        Assert.DoesNotContain("Required", dialogs.Markup);
        Assert.DoesNotContain(required, dialogs.Markup);
        Assert.True(dialogs.Find("button#confirm-yes").HasAttribute("disabled"));

        dialogs.Find("#confirm-reason").Blur(); // as the dialog's focus handling does while it opens
        Assert.Empty(dialogs.FindAll(".mud-input-error"));

        dialogs.Find("#confirm-reason").Input("the");
        dialogs.Find("#confirm-reason").Input("");

        dialogs.WaitForAssertion(() => Assert.Contains(required, dialogs.Find(".mud-input-helper-text").TextContent));
        Assert.DoesNotContain("Required", dialogs.Markup);

        dialogs.Find("#confirm-reason").Input("the person asked by email");

        dialogs.WaitForAssertion(() => Assert.DoesNotContain(required, dialogs.Markup));
        Assert.False(dialogs.Find("button#confirm-yes").HasAttribute("disabled"));
    }
}
