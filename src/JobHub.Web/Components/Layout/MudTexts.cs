using Microsoft.Extensions.Localization;
using MudBlazor;

namespace JobHub.Web.Components.Layout;

/// <summary>
/// MudBlazor's own texts (a pager's buttons and counts, a dialog's close button, "Loading…") in the page's language:
/// each MudBlazor key is looked up in JobHub's resources as <c>Mud_{key}</c>; a key JobHub does not translate keeps
/// MudBlazor's English.
/// </summary>
public sealed class MudTexts(IStringLocalizer<Strings> strings) : MudLocalizer
{
    public const string Prefix = "Mud_";

    public override LocalizedString this[string key]
    {
        get
        {
            var ours = strings[Prefix + key];
            return ours.ResourceNotFound ? base[key] : new LocalizedString(key, ours.Value);
        }
    }
}
