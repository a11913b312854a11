namespace CamService.Inference.Explanations;

/// <summary>A target a model cannot explain (no such class); the caller's mistake, not the model's.</summary>
public sealed class TargetException(string message) : Exception(message);
