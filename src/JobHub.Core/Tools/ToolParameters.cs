namespace JobHub.Core.Tools;

/// <summary>Checks submitted parameter values against a tool's definition and fills the defaults.</summary>
public static class ToolParameters
{
    /// <summary>The parameters as they will be stored, or the first problem as a message for the user.</summary>
    public static (Dictionary<string, string>? Values, string? Error) Normalize(ToolDefinition tool, IReadOnlyDictionary<string, string?> submitted)
    {
        foreach (var key in submitted.Keys.Where(key => tool.Parameters.All(p => p.Key != key)))
        {
            return (null, $"Unknown parameter '{key}'.");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        // Parameters may depend on earlier ones (framing applies only to people), so resolve in definition order.
        foreach (var parameter in tool.Parameters)
        {
            var applies = parameter.AppliesWhen.All(c => values.TryGetValue(c.Key, out var v) && v == c.Value);
            submitted.TryGetValue(parameter.Key, out var raw);
            var value = string.IsNullOrWhiteSpace(raw) ? parameter.Default : raw.Trim();
            if (!applies)
            {
                continue;
            }

            if (value is null)
            {
                if (parameter.Required)
                {
                    return (null, $"'{parameter.Key}' is required.");
                }

                continue;
            }

            if (parameter.Type == ParameterTypes.Choice && !parameter.Values.Contains(value))
            {
                return (null, $"'{value}' is not a valid value for '{parameter.Key}'; choose one of: {string.Join(", ", parameter.Values)}.");
            }

            if (parameter.Type == ParameterTypes.Text)
            {
                if (value.Length > parameter.MaxLength)
                {
                    return (null, $"'{parameter.Key}' is longer than {parameter.MaxLength} characters.");
                }

                if (value.Any(char.IsControl))
                {
                    return (null, $"'{parameter.Key}' contains control characters.");
                }
            }

            values[parameter.Key] = value;
        }

        return (values, null);
    }
}
