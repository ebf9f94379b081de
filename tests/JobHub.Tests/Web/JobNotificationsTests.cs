using System.Globalization;
using JobHub.Web.Realtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobHub.Tests.Web;

/// <summary>The fan-out of job changes to the pages that show them.</summary>
public sealed class JobNotificationsTests
{
    [Fact]
    public async Task ASubscriber_IsCalledInTheLanguageOfThePageThatSubscribed_NotTheListenersThread()
    {
        var notifications = new JobNotifications(NullLogger<JobNotifications>.Instance);
        string? seen = null;
        using var subscription = await Task.Run(() =>
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("en");
            return notifications.Subscribe(null, _ =>
            {
                seen = $"{CultureInfo.CurrentCulture.Name}|{CultureInfo.CurrentUICulture.Name}";
                return Task.CompletedTask;
            });
        });

        await Task.Run(() =>
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture; // the listener's thread
            return notifications.PublishAsync(new JobChange(Guid.NewGuid(), Guid.NewGuid(), "running"));
        });

        Assert.Equal("en|en", seen);
    }
}
