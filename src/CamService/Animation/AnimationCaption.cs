using System.Globalization;
using CamService.Inference.Explanations;
using CamService.Models;

namespace CamService.Animation;

/// <summary>
/// The text under each frame of an animation, three lines: the model (UNTRAINED first when its weights are random,
/// where no ellipsis can cut it) and the method; the class explained and its probability; the model's parameters,
/// GMACs and latency as GET /models reports them.
/// </summary>
public static class AnimationCaption
{
    /// <summary>How a model with random weights is marked: its maps mean nothing.</summary>
    public const string Untrained = "UNTRAINED";

    /// <summary>Every caption has this many lines, so that every frame is the same size.</summary>
    public const int LineCount = 3;

    public static IReadOnlyList<string> Lines(ModelDescription model, MapExplanation map)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(map);
        var name = model.Untrained ? $"{Untrained} {model.Id}" : model.Id;
        return
        [
            $"{name} - {map.Method}",
            string.Create(CultureInfo.InvariantCulture, $"{map.Target.Label} {map.Probability * 100:F1}%"),
            Facts(model),
        ];
    }

    /// <summary>"25.6M params  4.09 GMACs  44 ms", leaving out what is not known.</summary>
    static string Facts(ModelDescription model)
    {
        var facts = new List<string>(3);
        if (model.Parameters is { } parameters)
        {
            facts.Add($"{Count(parameters)} params");
        }
        if (model.GigaMacs is { } gigaMacs)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"{gigaMacs:F2} GMACs"));
        }
        if (model.LatencyMs is { } ms)
        {
            // Two significant digits at least: the test models run in a fraction of a millisecond.
            facts.Add(ms.ToString(ms < 1 ? "F2" : ms < 10 ? "F1" : "F0", CultureInfo.InvariantCulture) + " ms");
        }
        return string.Join("  ", facts);
    }

    /// <summary>A count as papers write it: 812, 1.2k, 5.3M, 1.5B.</summary>
    public static string Count(long count) => count switch
    {
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e9:F1}B"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e6:F1}M"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e3:F1}k"),
        _ => count.ToString(CultureInfo.InvariantCulture),
    };
}
