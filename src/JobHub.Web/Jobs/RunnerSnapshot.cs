using JobHub.Core.Tools;

namespace JobHub.Web.Jobs;

/// <summary>
/// What a tool page keeps when it moves to another instance (a drain pauses its circuit: docs/decisions/0014): the
/// person's choices, by the index of their parameter's definition (a key may have one definition per context), and the
/// job the page followed. The chosen files stay in the browser, which hands them to the new circuit's drop zones.
/// </summary>
public sealed record RunnerSnapshot(Dictionary<int, string?> Choices, Guid? Job)
{
    public static RunnerSnapshot Capture(ToolDefinition tool, IReadOnlyDictionary<ParameterDefinition, string?> choices, Guid? job) =>
        new(tool.Parameters.Select((parameter, index) => (parameter, index)).Where(p => choices.ContainsKey(p.parameter))
            .ToDictionary(p => p.index, p => choices[p.parameter]), job);

    /// <summary>Puts the kept choices back; an index this tool no longer has (its configuration changed) is dropped.</summary>
    public void Restore(ToolDefinition tool, IDictionary<ParameterDefinition, string?> choices)
    {
        foreach (var (index, value) in Choices)
        {
            if (index >= 0 && index < tool.Parameters.Count)
            {
                choices[tool.Parameters[index]] = value;
            }
        }
    }
}
