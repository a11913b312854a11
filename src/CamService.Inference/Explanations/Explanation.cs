namespace CamService.Inference.Explanations;

/// <summary>A class and its softmax probability.</summary>
public sealed record Prediction(int Index, string Label, float Probability);

/// <summary>The class a map explains and its score before softmax.</summary>
public sealed record TargetScore(int Index, string Label, float Score);

/// <summary>A raw class activation map at the target layer's resolution, row-major, not normalised.</summary>
public sealed record CamMap(int Width, int Height, float[] Data);

/// <summary>One image explained by one model: its predictions and one map per (method, target).</summary>
/// <param name="Predictions">The top-k classes, most probable first.</param>
/// <param name="Maps">One per method and target, methods outer, in the order asked.</param>
/// <param name="InferenceMs">The model run that gave logits, activations and gradients, shared by the batch's images.</param>
public sealed record ImageExplanation(IReadOnlyList<Prediction> Predictions, IReadOnlyList<MapExplanation> Maps, double InferenceMs);

/// <summary>One map of one image.</summary>
/// <param name="Method">The CAM method's name.</param>
/// <param name="Target">The class explained, with its logit.</param>
/// <param name="Probability">The target's softmax probability.</param>
/// <param name="Map">The raw map.</param>
/// <param name="CamMs">The method's own time (head evaluations and forward passes included).</param>
public sealed record MapExplanation(string Method, TargetScore Target, float Probability, CamMap Map, double CamMs);
