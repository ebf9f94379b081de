using JobHub.Web.Realtime;
using Microsoft.AspNetCore.Components;

namespace JobHub.Web.Components.Pages.Admin;

/// <summary>
/// An admin page that stays current while it is open (<see cref="LiveRefresh"/>): it loads on start and again as jobs
/// change, a failed read goes to the page's error boundary, and leaving the page stops the loop.
/// </summary>
public abstract class LiveAdminPage : ComponentBase, IDisposable
{
    private LiveRefresh? live;
    private bool disposed;

    [Inject]
    private JobNotifications Notifications { get; set; } = default!;

    [Inject]
    protected TimeProvider Clock { get; set; } = default!;

    protected DateTime Now => Clock.GetUtcNow().UtcDateTime;

    /// <summary>Reads what the page shows.</summary>
    protected abstract Task LoadAsync();

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        if (disposed)
        {
            return; // left during the first read: no loop to start
        }

        live = new LiveRefresh(Notifications, Clock, () => InvokeAsync(async () =>
        {
            try
            {
                await LoadAsync();
                StateHasChanged();
            }
            catch (Exception ex)
            {
                await DispatchExceptionAsync(ex);
            }
        }));
    }

    public void Dispose()
    {
        disposed = true;
        live?.Dispose();
    }
}
