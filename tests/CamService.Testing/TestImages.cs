using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Testing;

/// <summary>Synthetic photos with known evidence: black, with a pure red rectangle somewhere.</summary>
public static class TestImages
{
    public static Image<Rgb24> RedPatch(int width, int height, Rectangle patch)
    {
        var image = new Image<Rgb24>(width, height, new Rgb24(0, 0, 0));
        image.ProcessPixelRows(rows =>
        {
            for (var y = patch.Top; y < patch.Bottom; y++)
            {
                rows.GetRowSpan(y).Slice(patch.Left, patch.Width).Fill(new Rgb24(255, 0, 0));
            }
        });
        return image;
    }

    public static byte[] Png(Image<Rgb24> image)
    {
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    /// <summary>A JPEG whose EXIF orientation tag says how to turn the stored pixels for display.</summary>
    public static byte[] Jpeg(Image<Rgb24> image, ushort? orientation = null)
    {
        using var copy = image.Clone();
        if (orientation is { } value)
        {
            copy.Metadata.ExifProfile ??= new ExifProfile();
            copy.Metadata.ExifProfile.SetValue(ExifTag.Orientation, value);
        }
        using var stream = new MemoryStream();
        copy.Save(stream, new JpegEncoder { Quality = 95 });
        return stream.ToArray();
    }

    /// <summary>A small red-patch PNG, the default image of many tests.</summary>
    public static byte[] RedTopLeftPng(int size = 32) => Png(RedPatch(size, size, new Rectangle(0, 0, size / 4, size / 4)));

    /// <summary>Random pixels: an image that compresses badly, for large bodies and large answers.</summary>
    public static Image<Rgb24> Noise(int width, int height, int seed = 5)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (ref var pixel in rows.GetRowSpan(y))
                {
                    pixel = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                }
            }
        });
        return image;
    }
}
