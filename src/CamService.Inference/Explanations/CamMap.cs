namespace CamService.Inference.Explanations;

/// <summary>A raw class activation map at the target layer's resolution, row-major, not normalised.</summary>
public sealed record CamMap(int Width, int Height, float[] Data);
