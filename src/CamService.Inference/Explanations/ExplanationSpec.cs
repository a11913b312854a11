using CamService.Imaging;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;

namespace CamService.Inference.Explanations;

/// <summary>
/// What every model of a request or a batch explains, and how: each target with each method, the image made into
/// the model's input by <paramref name="Resize"/>, the <paramref name="TopK"/> predictions listed, and, when
/// <paramref name="Metrics"/> names any, each map's faithfulness scores.
/// </summary>
public sealed record ExplanationSpec(
    IReadOnlyList<ExplanationTarget> Targets,
    IReadOnlyList<CamMethod> Methods,
    ResizeMode Resize,
    int TopK,
    MethodOptions MethodOptions,
    FaithfulnessMetrics Metrics = FaithfulnessMetrics.None,
    int MetricSteps = FaithfulnessOptions.DefaultSteps)
{
    /// <summary>The maps of one model and image: one per method and target.</summary>
    public int MapsPerModel => Methods.Count * Targets.Count;

    /// <summary>
    /// Where the map of <paramref name="method"/> and <paramref name="target"/> (positions in <see cref="Methods"/> and
    /// <see cref="Targets"/>) lies among a model's maps: methods outer, then targets, as the engine makes them.
    /// </summary>
    public int MapIndex(int method, int target) => method * Targets.Count + target;
}
