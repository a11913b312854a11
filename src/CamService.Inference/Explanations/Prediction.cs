namespace CamService.Inference.Explanations;

/// <summary>A class and its softmax probability.</summary>
public sealed record Prediction(int Index, string Label, float Probability);
