namespace JobHub.Core.Tools;

/// <summary>
/// One AI tool, entirely described by configuration (section <c>JobHub:Tools:{key}</c>): adding a tool is
/// adding an entry, plus at most a small form component.
/// </summary>
public sealed class ToolDefinition
{
    /// <summary>The configuration key (e.g. <c>image-upscaler</c>); set by the catalog.</summary>
    public string Key { get; set; } = "";

    /// <summary>Display names by culture (<c>pt-BR</c>, <c>en</c>).</summary>
    public Dictionary<string, string> Names { get; set; } = [];

    /// <summary>Credits charged when no <see cref="CreditCostBy"/> rule applies.</summary>
    public int CreditCost { get; set; }

    /// <summary>Optional cost by one parameter's value (the upscaler's version).</summary>
    public CreditCostRule? CreditCostBy { get; set; }

    public List<InputDefinition> Inputs { get; set; } = [];

    public List<ParameterDefinition> Parameters { get; set; } = [];

    /// <summary>The RunningHub apps; the first whose <see cref="WebappRoute.When"/> matches the parameters is used.</summary>
    public List<WebappRoute> Webapps { get; set; } = [];

    /// <summary>R7: a running job older than this is reconciled against RunningHub's query API.</summary>
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>R8: a running job older than this is cancelled at RunningHub and fails <c>TIMEOUT</c>.</summary>
    public TimeSpan HardTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>R10: estimated money per second of run time, when RunningHub gives no usage.</summary>
    public decimal CostPerSecond { get; set; }

    /// <summary>How long a run usually takes, shown before running; <see cref="EstimatedDurationBy"/> may set it by a parameter.</summary>
    public TimeSpan? EstimatedDuration { get; set; }

    /// <summary>Optional estimate by one parameter's value (the upscaler's version: standard about 2 min 20 s, pro 3 min 30 s).</summary>
    public DurationRule? EstimatedDurationBy { get; set; }

    public TimeSpan? EstimateFor(IReadOnlyDictionary<string, string> parameters) =>
        EstimatedDurationBy is { } rule && parameters.TryGetValue(rule.Parameter, out var value) && rule.Values.TryGetValue(value, out var estimate)
            ? estimate
            : EstimatedDuration;

    public string DisplayName(string culture) => LocalizedNames.Pick(Names, culture, Key);

    public int CostFor(IReadOnlyDictionary<string, string> parameters) =>
        CreditCostBy is { } rule && parameters.TryGetValue(rule.Parameter, out var value) && rule.Values.TryGetValue(value, out var cost)
            ? cost
            : CreditCost;

    /// <summary>
    /// The RunningHub app a job ran on, as people chose it: the names of the choices that pick it ("People, Close…, Pro");
    /// null for the tool's only app or no app; the id itself for an app no longer configured.
    /// </summary>
    public string? AppName(string? webappId, string culture) =>
        webappId is null ? null
        : Webapps.FirstOrDefault(route => route.WebappId == webappId) is not { } route ? webappId
        : route.When.Count == 0 ? null
        : string.Join(", ", route.When.Select(condition =>
            Parameters.FirstOrDefault(p => p.Key == condition.Key)?.ValueName(condition.Value, culture) ?? condition.Value));

    public WebappRoute? RouteFor(IReadOnlyDictionary<string, string> parameters) =>
        Webapps.FirstOrDefault(route => route.When.All(condition =>
            parameters.TryGetValue(condition.Key, out var value) && string.Equals(value, condition.Value, StringComparison.Ordinal)));
}

/// <summary>Picks a configured name for a culture: the exact culture, its language (en-US → en), pt-BR, or the key.</summary>
public static class LocalizedNames
{
    public static string Pick(IReadOnlyDictionary<string, string> names, string culture, string fallback) =>
        names.TryGetValue(culture, out var name) ? name
        : culture.Split('-')[0] is var language && names.FirstOrDefault(n => n.Key.Split('-')[0] == language).Value is { } byLanguage ? byLanguage
        : names.TryGetValue("pt-BR", out var portuguese) ? portuguese
        : fallback;
}

public sealed class DurationRule
{
    public string Parameter { get; set; } = "";
    public Dictionary<string, TimeSpan> Values { get; set; } = [];
}

public sealed class CreditCostRule
{
    public string Parameter { get; set; } = "";
    public Dictionary<string, int> Values { get; set; } = [];
}

public static class InputKinds
{
    public const string Image = "image";
    public const string Video = "video";
}

public sealed class InputDefinition
{
    public string Key { get; set; } = "";
    public Dictionary<string, string> Names { get; set; } = [];
    public string Kind { get; set; } = InputKinds.Image;
    public List<string> MimeTypes { get; set; } = [];
    public long MaxBytes { get; set; } = 30 * 1024 * 1024;
    public int MaxWidth { get; set; }
    public int MaxHeight { get; set; }
    public double MaxDurationSeconds { get; set; }

    /// <summary>
    /// An image longer than this on its longer side is scaled down to it before it goes to RunningHub (the original is
    /// kept for the before/after view); 0: sent as uploaded.
    /// </summary>
    public int ScaleToLongestSide { get; set; }

    public string DisplayName(string culture) => LocalizedNames.Pick(Names, culture, Key);
}

public static class ParameterTypes
{
    public const string Choice = "choice";
    public const string Text = "text";

    /// <summary>A decimal number between <see cref="ParameterDefinition.Min"/> and <see cref="ParameterDefinition.Max"/>, on its step.</summary>
    public const string Number = "number";
}

public sealed class ParameterDefinition
{
    public string Key { get; set; } = "";
    public Dictionary<string, string> Names { get; set; } = [];
    public string Type { get; set; } = ParameterTypes.Choice;
    public List<string> Values { get; set; } = [];
    public string? Default { get; set; }
    public bool Required { get; set; } = true;
    public int MaxLength { get; set; } = 500;

    /// <summary>A number's range and step; its <see cref="Default"/> is written the same way ("0.15").</summary>
    public decimal Min { get; set; }

    public decimal Max { get; set; }

    public decimal Step { get; set; } = 0.01m;

    /// <summary>
    /// The parameter exists only when these other parameters have these values (framing only for people). A key may
    /// have several definitions whose conditions exclude each other: the detail level has its own range per category.
    /// </summary>
    public Dictionary<string, string> AppliesWhen { get; set; } = [];

    public bool AppliesTo(IReadOnlyDictionary<string, string> values) =>
        AppliesWhen.All(condition => values.TryGetValue(condition.Key, out var value) && value == condition.Value);

    /// <summary>Display names of the choices, by value and culture (e.g. <c>ValueNames:pro:en</c>); the value itself when absent.</summary>
    public Dictionary<string, Dictionary<string, string>> ValueNames { get; set; } = [];

    public string DisplayName(string culture) => LocalizedNames.Pick(Names, culture, Key);

    public string ValueName(string value, string culture) =>
        ValueNames.TryGetValue(value, out var names) ? LocalizedNames.Pick(names, culture, value) : value;
}

public sealed class WebappRoute
{
    public string WebappId { get; set; } = "";
    public Dictionary<string, string> When { get; set; } = [];

    /// <summary>Input or parameter key → the RunningHub node field it fills.</summary>
    public Dictionary<string, NodeBinding> Nodes { get; set; } = [];
}

public sealed class NodeBinding
{
    public string NodeId { get; set; } = "";
    public string FieldName { get; set; } = "";

    /// <summary>Optional translation of a parameter value into the node's value.</summary>
    public Dictionary<string, string> Values { get; set; } = [];

    /// <summary>
    /// The value sent when the parameter does not apply or was left empty (the standard version's fixed detail, the
    /// default prompt); without one, the node is not sent then.
    /// </summary>
    public string? Default { get; set; }

    /// <summary>True where the node id is not yet confirmed against the app's API page on RunningHub.</summary>
    public bool Unconfirmed { get; set; }
}

/// <summary>One entry of RunningHub's <c>nodeInfoList</c>: which node, which field, the value as text.</summary>
public sealed record NodeValue(string NodeId, string FieldName, string FieldValue, string Source);

public static class WebappNodes
{
    /// <summary>
    /// The <c>nodeInfoList</c> for a job on this app, built only from what the job holds: each input's uploaded file
    /// name, each parameter's stored value (translated where the binding says), a binding's default where the parameter
    /// does not apply; in node id order.
    /// </summary>
    public static IReadOnlyList<NodeValue> For(WebappRoute route, IReadOnlyDictionary<string, string> uploadedFiles,
        IReadOnlyDictionary<string, string> parameters)
    {
        var nodes = new List<NodeValue>();
        foreach (var (key, binding) in route.Nodes)
        {
            var value = uploadedFiles.TryGetValue(key, out var file) ? file
                : parameters.TryGetValue(key, out var parameter) && parameter.Length > 0 ? binding.Values.GetValueOrDefault(parameter, parameter)
                : binding.Default;
            if (value is not null)
            {
                nodes.Add(new NodeValue(binding.NodeId, binding.FieldName, value, key));
            }
        }

        return [.. nodes.OrderBy(n => long.TryParse(n.NodeId, out var id) ? id : long.MaxValue).ThenBy(n => n.NodeId, StringComparer.Ordinal)];
    }
}
