namespace CamService.Inference.Explanations;

/// <summary>The class a map explains and its score before softmax.</summary>
public sealed record TargetScore(int Index, string Label, float Score);
