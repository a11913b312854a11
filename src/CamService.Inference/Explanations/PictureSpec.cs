namespace CamService.Inference.Explanations;

/// <summary>Which pictures of each map to draw, at what size, and how they look.</summary>
public sealed record PictureSpec(int Width, int Height, bool Heatmap, bool Overlay, PictureStyle Style);
