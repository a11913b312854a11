using CamService.Imaging;

namespace CamService.Inference.Explanations;

/// <summary>How a map's pictures look: the colormap, the overlay's opacity, and its encoding (quality 1–100 for JPEG and WebP).</summary>
public sealed record PictureStyle(Colormap Colormap, float Alpha, OverlayFormat Format, int Quality);
