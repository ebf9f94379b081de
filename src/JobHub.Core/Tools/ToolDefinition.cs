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

    public string DisplayName(string culture) => LocalizedNames.Pick(Names, culture, Key);

    public int CostFor(IReadOnlyDictionary<string, string> parameters) =>
        CreditCostBy is { } rule && parameters.TryGetValue(rule.Parameter, out var value) && rule.Values.TryGetValue(value, out var cost)
            ? cost
            : CreditCost;

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

    public string DisplayName(string culture) => LocalizedNames.Pick(Names, culture, Key);
}

public static class ParameterTypes
{
    public const string Choice = "choice";
    public const string Text = "text";
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

    /// <summary>The parameter exists only when these other parameters have these values (framing only for people).</summary>
    public Dictionary<string, string> AppliesWhen { get; set; } = [];

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

    /// <summary>True where the node id is not yet confirmed against the app's API page on RunningHub.</summary>
    public bool Unconfirmed { get; set; }
}
