using System.Globalization;

namespace JobHub.Core.Tools;

/// <summary>
/// Why a parameter was refused: a reason (one of the constants), the parameter's key, the values the message names
/// (the range, the allowed choices), and the message in English for the API.
/// </summary>
public sealed record ParameterProblem(string Reason, string Key, IReadOnlyList<string> Values, string Message)
{
    public const string Unknown = "UNKNOWN";
    public const string Required = "REQUIRED";
    public const string NotAChoice = "NOT_A_CHOICE";
    public const string TooLong = "TOO_LONG";
    public const string ControlCharacters = "CONTROL_CHARACTERS";
    public const string NotANumber = "NOT_A_NUMBER";
    public const string OutOfRange = "OUT_OF_RANGE";
    public const string OffStep = "OFF_STEP";
    public const string NotApplicable = "NOT_APPLICABLE";

    public static readonly IReadOnlyList<string> All = [Unknown, Required, NotAChoice, TooLong, ControlCharacters, NotANumber, OutOfRange, OffStep, NotApplicable];
}

/// <summary>Checks submitted parameter values against a tool's definition and fills the defaults.</summary>
public static class ToolParameters
{
    /// <summary>
    /// The parameters as they will be stored, or the first problem as a message for the user. A value for a parameter
    /// that does not apply to the other choices is refused, never silently dropped; numbers are checked against their
    /// range and step and stored as invariant decimal text ("0.15").
    /// </summary>
    public static (Dictionary<string, string>? Values, ParameterProblem? Problem) Normalize(ToolDefinition tool, IReadOnlyDictionary<string, string?> submitted)
    {
        foreach (var key in submitted.Keys.Where(key => tool.Parameters.All(p => p.Key != key)))
        {
            return (null, new(ParameterProblem.Unknown, key, [], $"Unknown parameter '{key}'."));
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var applied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (parameter, value) in Applying(tool, p => submitted.TryGetValue(p.Key, out var raw) && !string.IsNullOrWhiteSpace(raw) ? raw.Trim() : p.Default))
        {
            applied.Add(parameter.Key);
            if (value is null)
            {
                if (parameter.Required)
                {
                    return (null, new(ParameterProblem.Required, parameter.Key, [], $"'{parameter.Key}' is required."));
                }

                continue;
            }

            var (normalized, problem) = Check(parameter, value);
            if (problem is not null)
            {
                return (null, problem);
            }

            values[parameter.Key] = normalized!;
        }

        foreach (var (key, raw) in submitted)
        {
            if (!applied.Contains(key) && !string.IsNullOrWhiteSpace(raw))
            {
                var context = string.Join(", ", values.Where(v => tool.Parameters.Any(p => p.Key == v.Key && p.Type == ParameterTypes.Choice))
                    .Select(v => $"{v.Key} {v.Value}"));
                return (null, new(ParameterProblem.NotApplicable, key, [context], $"'{key}' does not apply to this choice ({context}); leave it out."));
            }
        }

        return (values, null);
    }

    /// <summary>
    /// The parameters that apply, in definition order, each with its value from <paramref name="valueOf"/>: per key, the
    /// first definition whose <c>AppliesWhen</c> holds on the values of the parameters before it. The one rule for the
    /// server's check, the tool page's form and the settings a job is shown with.
    /// </summary>
    public static IEnumerable<(ParameterDefinition Parameter, string? Value)> Applying(ToolDefinition tool, Func<ParameterDefinition, string?> valueOf)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in tool.Parameters)
        {
            if (values.ContainsKey(parameter.Key) || !parameter.AppliesTo(values))
            {
                continue;
            }

            var value = valueOf(parameter);
            values[parameter.Key] = value ?? "";
            yield return (parameter, value);
        }
    }

    /// <summary>A job's stored parameters that apply, each with the definition it was checked against, in definition order.</summary>
    public static IEnumerable<(ParameterDefinition Parameter, string Value)> Stored(ToolDefinition tool, IReadOnlyDictionary<string, string> stored) =>
        Applying(tool, p => stored.GetValueOrDefault(p.Key)).Where(a => a.Value is not null).Select(a => (a.Parameter, a.Value!));

    private static (string? Value, ParameterProblem? Problem) Check(ParameterDefinition parameter, string value)
    {
        var key = parameter.Key;
        switch (parameter.Type)
        {
            case ParameterTypes.Choice when !parameter.Values.Contains(value):
                return (null, new(ParameterProblem.NotAChoice, key, [value, string.Join(", ", parameter.Values)],
                    $"'{value}' is not a valid value for '{key}'; choose one of: {string.Join(", ", parameter.Values)}."));
            case ParameterTypes.Text when value.Length > parameter.MaxLength:
                return (null, new(ParameterProblem.TooLong, key, [parameter.MaxLength.ToString(CultureInfo.InvariantCulture)],
                    $"'{key}' is longer than {parameter.MaxLength} characters."));
            case ParameterTypes.Text when value.Any(char.IsControl):
                return (null, new(ParameterProblem.ControlCharacters, key, [], $"'{key}' contains control characters."));
            case ParameterTypes.Number:
                string min = Format(parameter.Min), max = Format(parameter.Max);
                if (!decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                {
                    return (null, new(ParameterProblem.NotANumber, key, [value, min, max], $"'{key}' must be a number such as {min} (was '{value}')."));
                }

                if (number < parameter.Min || number > parameter.Max)
                {
                    return (null, new(ParameterProblem.OutOfRange, key, [Format(number), min, max],
                        $"'{key}' must be between {min} and {max} (was {Format(number)})."));
                }

                if (parameter.Step > 0 && (number - parameter.Min) % parameter.Step != 0)
                {
                    return (null, new(ParameterProblem.OffStep, key, [Format(number), Format(parameter.Step)],
                        $"'{key}' must be in steps of {Format(parameter.Step)} (was {Format(number)})."));
                }

                return (Format(number), null);
            default:
                return (value, null);
        }
    }

    /// <summary>A number as RunningHub takes it: invariant decimal text without trailing zeros ("0.15", "2048").</summary>
    public static string Format(decimal number) => number.ToString("0.############################", CultureInfo.InvariantCulture);
}
