using System.Globalization;

namespace JobHub.Simulator;

/// <summary>What a node's field takes: an uploaded image or video (the file name the upload answered), a number, or text.</summary>
public enum FieldKind
{
    Image,
    Video,
    Number,
    Text,
}

/// <summary>One field of one node of a RunningHub AI app.</summary>
public sealed record AppField(string NodeId, string FieldName, FieldKind Kind);

/// <summary>
/// The RunningHub apps the simulator knows, with their real nodes (docs/runninghub.md), written here rather than read from
/// JobHub's configuration so that a wrong mapping there is caught. A run is accepted exactly when every node and field it
/// names is the app's, with a value of the field's kind; nodes left out keep the app's defaults, as on RunningHub.
/// </summary>
public static class SimulatorApps
{
    public const string NodeMismatchCode = "803";
    public const string NodeMismatchMessage = "APIKEY_INVALID_NODE_INFO";
    public const string WebappMissingCode = "901";
    public const string WebappMissingMessage = "webapp not exists";

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<AppField>> Apps = new Dictionary<string, IReadOnlyList<AppField>>
    {
        // Image upscaler: people, close, pro
        ["2015865378030755841"] =
        [
            new("26", "image", FieldKind.Image), new("25", "value", FieldKind.Number), new("73", "value", FieldKind.Number),
            new("91", "value", FieldKind.Number), new("128", "text", FieldKind.Text),
        ],
        // people, close, standard
        ["2017030861371219969"] =
        [
            new("26", "image", FieldKind.Image), new("25", "value", FieldKind.Number), new("75", "value", FieldKind.Number),
            new("128", "text", FieldKind.Text),
        ],
        // people, far
        ["2017343414227963905"] = [new("1", "image", FieldKind.Image), new("7", "value", FieldKind.Number)],
        // old photo
        ["2018913880214343681"] = [new("139", "image", FieldKind.Image)],
        // food and objects
        ["2015855359243587585"] = [new("50", "image", FieldKind.Image), new("48", "value", FieldKind.Number)],
        // logo and art
        ["2019239272464785409"] = [new("39", "image", FieldKind.Image), new("33", "value", FieldKind.Number)],
        // 3D render and seals
        ["2019234965992509442"] = [new("301", "image", FieldKind.Image), new("300", "value", FieldKind.Number)],
        // pose changer: person, pose reference
        ["2018451429635133442"] = [new("27", "image", FieldKind.Image), new("60", "image", FieldKind.Image)],
        // virtual try-on: person, clothing
        ["2018755100210106369"] = [new("41", "image", FieldKind.Image), new("43", "image", FieldKind.Image)],
        // video upscaler
        ["2018810750139109378"] = [new("3", "video", FieldKind.Video)],
    };

    /// <summary>Null when RunningHub would accept the run; otherwise its error code and message.</summary>
    public static (string Code, string Message)? Check(string webappId, IReadOnlyList<SimNode> nodes, Func<string, byte[]?> uploadedFile)
    {
        if (!Apps.TryGetValue(webappId, out var fields))
        {
            return (WebappMissingCode, WebappMissingMessage);
        }

        foreach (var node in nodes)
        {
            var field = fields.FirstOrDefault(f => f.NodeId == node.NodeId && f.FieldName == node.FieldName);
            var valid = field?.Kind switch
            {
                FieldKind.Image or FieldKind.Video => uploadedFile(node.FieldValue) is not null,
                FieldKind.Number => decimal.TryParse(node.FieldValue, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
                    CultureInfo.InvariantCulture, out _),
                FieldKind.Text => true,
                _ => false,
            };
            if (!valid)
            {
                return (NodeMismatchCode, NodeMismatchMessage);
            }
        }

        return null;
    }
}
