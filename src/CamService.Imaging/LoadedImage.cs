using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging;

/// <summary>A decoded, upright RGB image: what the model and the heatmap both see.</summary>
public sealed class LoadedImage : IDisposable
{
    internal LoadedImage(Image<Rgb24> pixels, string format, ushort? exifOrientation)
    {
        Pixels = pixels;
        Format = format;
        ExifOrientation = exifOrientation;
    }

    /// <summary>Pixels with the EXIF orientation already applied, so row 0 is the top a person sees.</summary>
    public Image<Rgb24> Pixels { get; }

    public int Width => Pixels.Width;

    public int Height => Pixels.Height;

    /// <summary>"jpeg", "png" or "webp".</summary>
    public string Format { get; }

    /// <summary>The EXIF orientation tag (1–8) the file carried, already applied to <see cref="Pixels"/>; null when absent.</summary>
    public ushort? ExifOrientation { get; }

    public void Dispose() => Pixels.Dispose();
}
