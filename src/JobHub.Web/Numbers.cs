using System.Globalization;

namespace JobHub.Web;

/// <summary>How pages write numbers: in the page's culture ("0,15" and "4,5 KB" in pt-BR), whatever the stored form.</summary>
public static class Numbers
{
    private static readonly string[] Units = ["B", "KB", "MB", "GB"];

    /// <summary>A number with the digits it has ("0.0130" stays four places), in the page's culture.</summary>
    public static string Number(decimal number) => number.ToString(CultureInfo.CurrentCulture);

    /// <summary>A number stored as invariant text (a parameter, RunningHub's figure) in the page's culture; other text as it is.</summary>
    public static string Stored(string value) =>
        decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            ? Number(number)
            : value;

    /// <summary>A parameter's value as the form says it: a choice by its name, a number in the page's culture.</summary>
    public static string Parameter(JobHub.Core.Tools.ParameterDefinition? parameter, string value) => parameter?.Type switch
    {
        null => value,
        JobHub.Core.Tools.ParameterTypes.Number => Stored(value),
        _ => parameter.ValueName(value, CultureInfo.CurrentUICulture.Name),
    };

    /// <summary>A file's size in the largest unit it fills (B, KB, MB, GB of 1,024), with one decimal when it has one.</summary>
    public static string Size(long bytes)
    {
        var size = (double)Math.Max(0, bytes);
        var unit = 0;
        while (size >= 1024 && unit < Units.Length - 1)
        {
            size /= 1024;
            unit++;
        }

        return $"{Math.Round(size, unit == 0 ? 0 : 1).ToString("0.#", CultureInfo.CurrentCulture)} {Units[unit]}";
    }
}
