using System.Globalization;

namespace CamService.Animation;

/// <summary>
/// Where an animation's time went, in milliseconds, sent as a Server-Timing header so that a benchmark (or a
/// browser's network panel) can tell explaining from encoding. Read is the body and its fields; explain is the wall
/// time of the model runs and the frames drawn beside them; inference (each model's preprocessing and run) and draw
/// (each frame's projection, overlay and caption) are sums of the times within it, so they may exceed it.
/// </summary>
public sealed record AnimationTimings(double Read, double Decode, double Explain, double Inference, double Draw, double Encode)
{
    public const string Header = "Server-Timing";

    /// <summary>The header's value: "read;dur=0.4, decode;dur=3.1, …".</summary>
    public override string ToString() => string.Join(", ",
        new[] { ("read", Read), ("decode", Decode), ("explain", Explain), ("inference", Inference), ("draw", Draw), ("encode", Encode) }
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Item1};dur={t.Item2:F1}")));
}
