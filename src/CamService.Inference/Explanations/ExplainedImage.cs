namespace CamService.Inference.Explanations;

/// <summary>One image of a batch: its explanation, or why there is none (a model output that is not finite).</summary>
public sealed record ExplainedImage(ModelExplanation? Explanation, string? Failure);
