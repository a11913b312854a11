namespace CamService.Inference.Explanations;

/// <summary>One model's explanation of an image and, in the same order as its maps, what was drawn of each.</summary>
public sealed record DrawnExplanation<TPicture>(ModelExplanation Explanation, IReadOnlyList<TPicture> Pictures);
