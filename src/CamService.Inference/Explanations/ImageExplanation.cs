namespace CamService.Inference.Explanations;

/// <summary>One image explained by one model: its predictions and one map per (method, target).</summary>
/// <param name="Predictions">The top-k classes, most probable first.</param>
/// <param name="Maps">One per method and target, methods outer, in the order asked.</param>
/// <param name="InferenceMs">The model run that gave logits, activations and gradients, shared by the batch's images.</param>
public sealed record ImageExplanation(IReadOnlyList<Prediction> Predictions, IReadOnlyList<MapExplanation> Maps, double InferenceMs);
