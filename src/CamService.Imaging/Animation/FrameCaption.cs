using System.Globalization;

namespace CamService.Imaging.Animation;

/// <summary>
/// The text under each frame of an animation, from plain facts, three lines: the model (UNTRAINED first when its
/// weights are random, where no ellipsis can cut it) and the method; the class explained and its probability; the
/// model's parameters, GMACs and latency, leaving out what is not known. The service and the command line caption alike.
/// </summary>
/// <param name="Model">The model's name.</param>
/// <param name="Untrained">Whether its weights are random: its maps mean nothing.</param>
/// <param name="Method">The CAM method.</param>
/// <param name="Label">The class explained.</param>
/// <param name="Probability">Its softmax probability, 0 to 1.</param>
/// <param name="Parameters">Trainable parameters.</param>
/// <param name="GigaMacs">Multiply–accumulates per image in billions.</param>
/// <param name="LatencyMs">Time of one image, in milliseconds.</param>
public sealed record FrameCaption(
    string Model,
    bool Untrained,
    string Method,
    string Label,
    float Probability,
    long? Parameters,
    double? GigaMacs,
    double? LatencyMs)
{
    /// <summary>How a model with random weights is marked.</summary>
    public const string UntrainedMark = "UNTRAINED";

    /// <summary>Every caption has this many lines, so that every frame is the same size.</summary>
    public const int LineCount = 3;

    public IReadOnlyList<string> Lines() =>
    [
        $"{(Untrained ? $"{UntrainedMark} {Model}" : Model)} - {Method}",
        string.Create(CultureInfo.InvariantCulture, $"{Label} {Probability * 100:F1}%"),
        Facts(),
    ];

    /// <summary>"25.6M params  4.09 GMACs  44 ms".</summary>
    string Facts()
    {
        var facts = new List<string>(3);
        if (Parameters is { } parameters)
        {
            facts.Add($"{Count(parameters)} params");
        }
        if (GigaMacs is { } gigaMacs)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"{gigaMacs:F2} GMACs"));
        }
        if (LatencyMs is { } ms)
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
