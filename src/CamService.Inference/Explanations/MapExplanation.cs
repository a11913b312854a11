namespace CamService.Inference.Explanations;

/// <summary>One map of one image.</summary>
/// <param name="Method">The CAM method's name.</param>
/// <param name="Target">The class explained, with its logit.</param>
/// <param name="Probability">The target's softmax probability.</param>
/// <param name="Map">The raw map.</param>
/// <param name="CamMs">The method's own time (head evaluations and forward passes included).</param>
public sealed record MapExplanation(string Method, TargetScore Target, float Probability, CamMap Map, double CamMs);
