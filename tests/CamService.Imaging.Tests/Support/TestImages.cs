using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests.Support;

/// <summary>Small synthetic images whose content makes misalignment obvious.</summary>
public static class TestImages
{
    public static readonly Rgb24 Red = new(230, 20, 20);
    public static readonly Rgb24 Green = new(20, 200, 40);
    public static readonly Rgb24 Blue = new(20, 40, 230);
    public static readonly Rgb24 Yellow = new(240, 220, 30);

    /// <summary>Red top-left, green top-right, blue bottom-left, yellow bottom-right.</summary>
    public static Image<Rgb24> Quadrants(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = QuadrantColour(x, y, width, height);
            }
        }
        return image;
    }

    public static Rgb24 QuadrantColour(int x, int y, int width, int height) =>
        (x < width / 2, y < height / 2) switch
        {
            (true, true) => Red,
            (false, true) => Green,
            (true, false) => Blue,
            _ => Yellow,
        };

    /// <summary>A smooth colourful image, so resampling has something to do.</summary>
    public static Image<Rgb24> Gradient(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)(x * 255 / Math.Max(1, width - 1)), (byte)(y * 255 / Math.Max(1, height - 1)), (byte)((x + y) % 256));
            }
        }
        return image;
    }

    public static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    public static int Distance(Rgb24 a, Rgb24 b) => Math.Max(Math.Abs(a.R - b.R), Math.Max(Math.Abs(a.G - b.G), Math.Abs(a.B - b.B)));
}
