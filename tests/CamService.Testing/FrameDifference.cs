using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Testing;

/// <summary>
/// How far a region of an animation frame is from the picture it should show (drawn from row 0): the largest
/// channel difference of any pixel, where it is, and the mean of the pixels' largest differences. A GIF's shared
/// palette shifts colours a little, so tests bound both rather than ask for equality.
/// </summary>
public sealed record FrameDifference(int Max, int X, int Y, double Mean)
{
    public static FrameDifference Of(Image<Rgb24> expected, ImageFrame<Rgb24> frame, int left, int top, int width, int height)
    {
        var (max, maxX, maxY, total) = (0, left, top, 0.0);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (e, a) = (expected[x, y], frame[left + x, top + y]);
                var distance = Math.Max(Math.Abs(e.R - a.R), Math.Max(Math.Abs(e.G - a.G), Math.Abs(e.B - a.B)));
                total += distance;
                if (distance > max)
                {
                    (max, maxX, maxY) = (distance, left + x, top + y);
                }
            }
        }
        return new FrameDifference(max, maxX, maxY, total / (width * height));
    }

    /// <summary>Whether every pixel is within <paramref name="tolerance"/> and the mean within <paramref name="meanTolerance"/>.</summary>
    public bool Within(int tolerance, double meanTolerance) => Max <= tolerance && Mean <= meanTolerance;

    public override string ToString() => $"largest difference {Max} at ({X}, {Y}), mean {Mean:F2}";
}
