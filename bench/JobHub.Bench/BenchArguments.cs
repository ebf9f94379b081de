using System.Globalization;
using JobHub.Bench.Load;

namespace JobHub.Bench;

/// <summary>The options after the benchmark's name: <c>--users N --seconds S --faults lost,kill --browsers K --pages P --instances I</c>.</summary>
public sealed record BenchArguments(int? Users, int? Seconds, Faults? Faults, int? Browsers, int? Pages, IReadOnlyList<string>? Tools = null, int? Instances = null)
{
    public const string Usage =
        "usage: ./jobhub bench [engine|webhook|metrics|memory|chaos|load|upload|all] [--users N] [--seconds S] [--faults lost,duplicate,failures,capacity,unknown-start,kill,pg-restart|all|none] [--browsers K] [--pages P] [--tools image-upscaler,video-upscaler,pose-changer,virtual-try-on] [--instances N]";

    public static readonly string[] ToolKeys = ["image-upscaler", "video-upscaler", "pose-changer", "virtual-try-on"];

    public static BenchArguments Parse(string[] args)
    {
        var options = new BenchArguments(null, null, null, null, null);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--users" => options with { Users = Positive(args[i], value) },
                "--seconds" => options with { Seconds = Positive(args[i], value) },
                "--browsers" => options with { Browsers = Positive(args[i], value, allowZero: true) },
                "--pages" => options with { Pages = Positive(args[i], value) },
                "--tools" => options with { Tools = ParseTools(value) },
                "--instances" => options with { Instances = Positive(args[i], value) is var n and <= 8 ? n : throw new ArgumentException("--instances takes 1 to 8") },
                "--faults" => options with { Faults = FaultNames.Parse(value) ?? throw new ArgumentException($"unknown fault in '{value}'") },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
            i++;
        }

        return options;
    }

    /// <summary>The mix of tools the users pick from (a tool named twice is picked twice as often).</summary>
    private static IReadOnlyList<string> ParseTools(string value)
    {
        var tools = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return tools.Length > 0 && tools.All(ToolKeys.Contains)
            ? tools
            : throw new ArgumentException($"--tools takes tool keys from: {string.Join(", ", ToolKeys)}; not '{value}'");
    }

    private static int Positive(string name, string value, bool allowZero = false) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && (number > 0 || allowZero && number == 0)
            ? number
            : throw new ArgumentException($"{name} needs a whole number{(allowZero ? "" : " above zero")}, not '{value}'");
}
