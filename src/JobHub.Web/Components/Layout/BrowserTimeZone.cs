using Microsoft.AspNetCore.Components;

namespace JobHub.Web.Components.Layout;

/// <summary>
/// The person's time zone, as their browser names it (IANA id), cascaded to every component of a circuit (a root-level
/// cascading value, <see cref="AddBrowserTimeZone"/>: no component of its own) and set by <see cref="MainLayout"/> once
/// the circuit has asked the browser; UTC until then (the prerendered page) or when the browser's zone is unknown here.
/// </summary>
public sealed record BrowserTimeZone(TimeZoneInfo Zone)
{
    public static readonly BrowserTimeZone Utc = new(TimeZoneInfo.Utc);

    /// <summary>One source per circuit (scoped), which the layout updates and every [CascadingParameter] of the type reads.</summary>
    public static void AddBrowserTimeZone(IServiceCollection services)
    {
        services.AddScoped(_ => new CascadingValueSource<BrowserTimeZone>(Utc, isFixed: false));
        services.AddCascadingValue(provider => provider.GetRequiredService<CascadingValueSource<BrowserTimeZone>>());
    }

    /// <summary>The zone of <paramref name="id"/>, or UTC when it is empty or not a zone this server knows.</summary>
    public static BrowserTimeZone From(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > 64)
        {
            return Utc;
        }

        try
        {
            return new BrowserTimeZone(TimeZoneInfo.FindSystemTimeZoneById(id));
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return Utc;
        }
    }

    /// <summary>The zone as people read it: its IANA id (UTC for UTC).</summary>
    public string Name => Zone == TimeZoneInfo.Utc ? "UTC" : Zone.Id;

    public DateTime ToLocal(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    /// <summary>The UTC moment of a wall-clock time in this zone (a time skipped by a clock change moves forward by it).</summary>
    public DateTime ToUtc(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (Zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddMinutes(30);
        }

        return TimeZoneInfo.ConvertTimeToUtc(unspecified, Zone);
    }
}
