using System.Diagnostics;
using CamService.Imaging;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp;

namespace CamService.Inference.Explanations;

/// <summary>
/// The pictures of one map at a size: the heatmap (PNG) and the overlay over the image, each mapped back through the
/// model's <see cref="InputGeometry"/> and encoded as its rows are projected, so no float per pixel is held.
/// </summary>
/// <param name="Heatmap">The coloured map, transparent outside a crop, as a PNG (when asked).</param>
/// <param name="Overlay">The map blended over the image in the style's encoding (when asked).</param>
/// <param name="RenderMs">The time both took.</param>
public sealed record MapPictures(byte[]? Heatmap, byte[]? Overlay, double RenderMs)
{
    /// <summary>
    /// Draws what <paramref name="heatmap"/> and <paramref name="overlay"/> ask for at <paramref name="width"/>×<paramref name="height"/>;
    /// the overlay over the image shrunk to that size once (<see cref="LoadedImage.Display"/>).
    /// </summary>
    public static MapPictures Draw(LoadedImage image, CamMap map, InputGeometry geometry, int width, int height, PictureStyle style, bool heatmap, bool overlay)
    {
        var clock = Stopwatch.StartNew();
        byte[]? heatmapPng = null, overlayBytes = null;
        if (heatmap || overlay)
        {
            using var projection = new MapProjection(map.Data, map.Height, map.Width, geometry, width, height);
            if (heatmap)
            {
                heatmapPng = CamRenderer.HeatmapPng(projection, style.Colormap);
            }
            if (overlay)
            {
                overlayBytes = CamRenderer.Overlay(image.Display(width, height), projection, style.Colormap, style.Alpha, style.Format, style.Quality);
            }
        }
        return new MapPictures(heatmapPng, overlayBytes, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>The overlay's pixels, unencoded, at <paramref name="width"/>×<paramref name="height"/>: for pictures that hold several (a grid).</summary>
    public static Image<Rgb24> OverlayPixels(LoadedImage image, CamMap map, InputGeometry geometry, int width, int height, Colormap colormap, float alpha)
    {
        using var projection = new MapProjection(map.Data, map.Height, map.Width, geometry, width, height);
        var pixels = new Image<Rgb24>(width, height);
        CamRenderer.DrawOverlay(image.Display(width, height), projection, colormap, alpha, pixels);
        return pixels;
    }
}
