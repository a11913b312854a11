using CamService.Imaging;
using CamService.Inference.Faithfulness;

namespace CamService.Inference.Explanations;

/// <summary>
/// One image explained by one model, before its pictures are drawn: its predictions, a map per method and target
/// (<see cref="ExplanationSpec.MapIndex"/>), how the model's input lies on the image, and, when the spec asks for
/// metrics, each map's faithfulness scores in the same order.
/// </summary>
/// <param name="Model">The model's name.</param>
/// <param name="Untrained">True when the model has random weights.</param>
/// <param name="InferenceMs">The model run, shared by the images of a batch.</param>
/// <param name="Faithfulness">Per map; null where its scoring failed (<see cref="Unscored"/> says why), or null when none were asked.</param>
/// <param name="Unscored">Per map, why its scores are missing, where a batch keeps the maps whose scores are not finite.</param>
public sealed record ModelExplanation(
    string Model,
    bool Untrained,
    IReadOnlyList<Prediction> Predictions,
    IReadOnlyList<MapExplanation> Maps,
    InputGeometry Geometry,
    double PreprocessMs,
    double InferenceMs,
    IReadOnlyList<FaithfulnessScores?>? Faithfulness = null,
    IReadOnlyList<string?>? Unscored = null);
