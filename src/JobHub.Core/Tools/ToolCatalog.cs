using Microsoft.Extensions.Options;

namespace JobHub.Core.Tools;

/// <summary>The configured tools (section <c>JobHub:Tools</c>), keyed by tool key.</summary>
public sealed class ToolsOptions
{
    public const string Section = "JobHub:Tools";

    public Dictionary<string, ToolDefinition> Tools { get; set; } = new(StringComparer.Ordinal);
}

public sealed class ToolCatalog
{
    private readonly Dictionary<string, ToolDefinition> tools;

    public ToolCatalog(IOptions<ToolsOptions> options)
    {
        tools = options.Value.Tools.ToDictionary(pair => pair.Key, pair =>
        {
            pair.Value.Key = pair.Key;
            return pair.Value;
        }, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<ToolDefinition> All => tools.Values;

    public ToolDefinition? Find(string key) => tools.GetValueOrDefault(key);
}

/// <summary>Checks every tool entry at start-up and names each bad one, so a typo stops start-up rather than a job.</summary>
public sealed class ToolsOptionsValidator : IValidateOptions<ToolsOptions>
{
    private static readonly HashSet<string> ImageMimes = ["image/jpeg", "image/png", "image/webp"];
    private static readonly HashSet<string> VideoMimes = ["video/mp4", "video/quicktime", "video/x-msvideo", "video/x-matroska"];

    public ValidateOptionsResult Validate(string? name, ToolsOptions options)
    {
        var failures = new List<string>();
        if (options.Tools.Count == 0)
        {
            failures.Add("JobHub:Tools is empty: configure at least one tool.");
        }

        foreach (var (key, tool) in options.Tools)
        {
            var at = $"JobHub:Tools:{key}";
            void Fail(string message) => failures.Add($"{at}: {message}");

            if (!System.Text.RegularExpressions.Regex.IsMatch(key, "^[a-z0-9][a-z0-9-]{0,39}$"))
            {
                Fail("the key must be lower-case letters, digits and dashes.");
            }

            if (tool.CreditCost < 0)
            {
                Fail("CreditCost must not be negative.");
            }

            if (tool.ReconcileAfter <= TimeSpan.Zero || tool.HardTimeout <= TimeSpan.Zero)
            {
                Fail("ReconcileAfter and HardTimeout must be positive.");
            }
            else if (tool.ReconcileAfter >= tool.HardTimeout)
            {
                Fail("ReconcileAfter must be shorter than HardTimeout.");
            }

            if (tool.CostPerSecond < 0)
            {
                Fail("CostPerSecond must not be negative.");
            }

            if (tool.Inputs.Count == 0)
            {
                Fail("Inputs is empty: a tool needs at least one input.");
            }

            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var input in tool.Inputs)
            {
                if (string.IsNullOrWhiteSpace(input.Key) || !keys.Add(input.Key))
                {
                    Fail($"input '{input.Key}' has an empty or repeated key.");
                }

                var allowed = input.Kind switch { InputKinds.Image => ImageMimes, InputKinds.Video => VideoMimes, _ => null };
                if (allowed is null)
                {
                    Fail($"input '{input.Key}' has Kind '{input.Kind}'; use 'image' or 'video'.");
                }
                else if (input.MimeTypes.Count == 0 || input.MimeTypes.Any(m => !allowed.Contains(m)))
                {
                    Fail($"input '{input.Key}' MimeTypes must be a non-empty subset of: {string.Join(", ", allowed)}.");
                }

                if (input.MaxBytes is <= 0 or > 30 * 1024 * 1024)
                {
                    Fail($"input '{input.Key}' MaxBytes must be between 1 and 31457280 (RunningHub's 30 MB limit).");
                }

                if (input.ScaleToLongestSide != 0 && (input.Kind != InputKinds.Image || input.ScaleToLongestSide is < 256 or > 16384))
                {
                    Fail($"input '{input.Key}' ScaleToLongestSide must be 0, or 256–16384 for an image.");
                }
            }

            var inputKeys = keys.ToHashSet(StringComparer.Ordinal);
            for (var p = 0; p < tool.Parameters.Count; p++)
            {
                var parameter = tool.Parameters[p];
                // A key may repeat only with conditions that exclude each other (one detail range per category).
                var earlier = tool.Parameters.Take(p).Where(other => other.Key == parameter.Key).ToList();
                if (string.IsNullOrWhiteSpace(parameter.Key) || inputKeys.Contains(parameter.Key)
                    || earlier.Any(other => !Exclusive(other.AppliesWhen, parameter.AppliesWhen)))
                {
                    Fail($"parameter '{parameter.Key}' has an empty key, repeats an input, or repeats a parameter whose AppliesWhen can hold at the same time.");
                }

                keys.Add(parameter.Key);

                if (parameter.Type == ParameterTypes.Choice)
                {
                    if (parameter.Values.Count == 0)
                    {
                        Fail($"parameter '{parameter.Key}' is a choice with no Values.");
                    }

                    if (parameter.Default is not null && !parameter.Values.Contains(parameter.Default))
                    {
                        Fail($"parameter '{parameter.Key}' Default '{parameter.Default}' is not one of its Values.");
                    }
                }
                else if (parameter.Type == ParameterTypes.Number)
                {
                    var defaultOk = parameter.Default is null || decimal.TryParse(parameter.Default, System.Globalization.NumberStyles.Number,
                        System.Globalization.CultureInfo.InvariantCulture, out var d) && d >= parameter.Min && d <= parameter.Max;
                    if (parameter.Min >= parameter.Max || parameter.Step <= 0 || !defaultOk)
                    {
                        Fail($"parameter '{parameter.Key}' is a number: it needs Min < Max, a positive Step and a Default between them.");
                    }
                }
                else if (parameter.Type != ParameterTypes.Text)
                {
                    Fail($"parameter '{parameter.Key}' has Type '{parameter.Type}'; use 'choice', 'number' or 'text'.");
                }
            }

            foreach (var parameter in tool.Parameters)
            {
                foreach (var (other, value) in parameter.AppliesWhen)
                {
                    if (tool.Parameters.FirstOrDefault(p => p.Key == other) is not { } target || !target.Values.Contains(value))
                    {
                        Fail($"parameter '{parameter.Key}' AppliesWhen names '{other}={value}', which is not a parameter value.");
                    }
                }
            }

            if (tool.CreditCostBy is { } rule)
            {
                if (tool.Parameters.FirstOrDefault(p => p.Key == rule.Parameter) is not { } costParameter)
                {
                    Fail($"CreditCostBy names parameter '{rule.Parameter}', which the tool does not have.");
                }
                else
                {
                    foreach (var (value, cost) in rule.Values)
                    {
                        if (!costParameter.Values.Contains(value))
                        {
                            Fail($"CreditCostBy names value '{value}', which parameter '{rule.Parameter}' does not allow.");
                        }

                        if (cost < 0)
                        {
                            Fail($"CreditCostBy value '{value}' has a negative cost.");
                        }
                    }
                }
            }

            if (tool.EstimatedDurationBy is { } estimate)
            {
                if (tool.Parameters.FirstOrDefault(p => p.Key == estimate.Parameter) is not { } estimateParameter
                    || estimate.Values.Keys.Any(value => !estimateParameter.Values.Contains(value)) || estimate.Values.Values.Any(t => t <= TimeSpan.Zero))
                {
                    Fail($"EstimatedDurationBy must name a choice parameter, its values, and positive durations.");
                }
            }

            if (tool.Webapps.Count == 0)
            {
                Fail("Webapps is empty: a tool needs at least one RunningHub app.");
            }

            for (var i = 0; i < tool.Webapps.Count; i++)
            {
                var route = tool.Webapps[i];
                if (!System.Text.RegularExpressions.Regex.IsMatch(route.WebappId, "^[0-9]{6,25}$"))
                {
                    Fail($"Webapps[{i}] WebappId '{route.WebappId}' is not a RunningHub app id (digits).");
                }

                foreach (var (parameter, value) in route.When)
                {
                    if (tool.Parameters.FirstOrDefault(p => p.Key == parameter) is not { } p || !p.Values.Contains(value))
                    {
                        Fail($"Webapps[{i}] When names '{parameter}={value}', which is not a parameter value.");
                    }
                }

                foreach (var input in tool.Inputs.Where(input => !route.Nodes.ContainsKey(input.Key)))
                {
                    Fail($"Webapps[{i}] ({route.WebappId}) has no node for input '{input.Key}'.");
                }

                foreach (var (nodeKey, binding) in route.Nodes)
                {
                    if (!keys.Contains(nodeKey))
                    {
                        Fail($"Webapps[{i}] maps '{nodeKey}', which is neither an input nor a parameter.");
                    }

                    if (string.IsNullOrWhiteSpace(binding.NodeId) || string.IsNullOrWhiteSpace(binding.FieldName))
                    {
                        Fail($"Webapps[{i}] node for '{nodeKey}' needs NodeId and FieldName.");
                    }
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>True when two AppliesWhen conditions can never hold together: they name one parameter with different values.</summary>
    private static bool Exclusive(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Any(condition => b.TryGetValue(condition.Key, out var other) && other != condition.Value);
}
