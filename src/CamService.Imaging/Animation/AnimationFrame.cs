using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Animation;

/// <summary>One frame of an animated comparison: a map's overlay over the photo, and its caption below.</summary>
public static class AnimationFrame
{
    /// <summary>
    /// Draws the overlay of <paramref name="cam"/> over <paramref name="photo"/> at the photo's size, mapped back
    /// through <paramref name="geometry"/> a row at a time (<see cref="MapProjection"/>, blended as
    /// <see cref="CamRenderer.DrawOverlay(Image{Rgb24}, MapProjection, Colormap, float, Image{Rgb24})"/>), with a <see cref="Caption"/> of <paramref name="caption"/>'s
    /// lines under it: a frame as wide as the photo and <see cref="Size"/> tall.
    /// </summary>
    public static Image<Rgb24> Draw(Image<Rgb24> photo, ReadOnlySpan<float> cam, int camHeight, int camWidth, InputGeometry geometry,
        Colormap colormap, float alpha, IReadOnlyList<string> caption)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(caption);
        var (width, height) = (photo.Width, photo.Height);
        var frame = new Image<Rgb24>(photo.GetConfiguration(), width, Size(width, height, caption.Count).Height);
        try
        {
            using (var projection = new MapProjection(cam, camHeight, camWidth, geometry, width, height))
            {
                CamRenderer.DrawOverlay(photo, projection, colormap, alpha, frame);
            }
            Caption.Draw(frame, height, caption, Caption.Scale(width));
        }
        catch
        {
            frame.Dispose();
            throw;
        }
        return frame;
    }

    /// <summary>A frame's size for a photo drawn at <paramref name="width"/>×<paramref name="height"/> with a caption of <paramref name="lines"/> lines.</summary>
    public static Size Size(int width, int height, int lines) => new(width, height + Caption.Height(lines, Caption.Scale(width)));
}
