using System.Runtime.CompilerServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging;

/// <summary>
/// Halves images with a 2×2 box filter: the cheap first step of shrinking a photo far below its size.
/// Resampling a 12 MP photo straight to 224×224 reads all twelve million pixels through a kernel
/// eighteen pixels wide for every model; halving first, as long as the result stays at least
/// <see cref="ModelGap"/> times the target, is what Pillow's resize(reducing_gap=3) does and, in
/// Pillow's words, is indistinguishable from resampling the original.
/// </summary>
public static class ImageReduction
{
    /// <summary>How much larger than a model's resized input a reduced image stays (Pillow's reducing_gap).</summary>
    public const double ModelGap = 3;

    /// <summary>
    /// A new image of ⌊width / 2⌋ × ⌊height / 2⌋ pixels, each the mean of a 2×2 block (rounded); an odd
    /// last column or row is dropped, which moves the far edge by half a pixel of the result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Image<Rgb24> Halve(Image<Rgb24> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (width, height) = (source.Width / 2, source.Height / 2);
        if (width < 1 || height < 1)
        {
            throw new ArgumentException($"A {source.Width}×{source.Height} image cannot be halved.", nameof(source));
        }
        var result = new Image<Rgb24>(source.GetConfiguration(), width, height);
        try
        {
            for (var y = 0; y < height; y++)
            {
                var top = source.DangerousGetPixelRowMemory(2 * y).Span;
                var bottom = source.DangerousGetPixelRowMemory(2 * y + 1).Span;
                var target = result.DangerousGetPixelRowMemory(y).Span;
                for (var x = 0; x < width; x++)
                {
                    var (a, b, c, d) = (top[2 * x], top[2 * x + 1], bottom[2 * x], bottom[2 * x + 1]);
                    target[x] = new Rgb24(
                        (byte)((a.R + b.R + c.R + d.R + 2) >> 2),
                        (byte)((a.G + b.G + c.G + d.G + 2) >> 2),
                        (byte)((a.B + b.B + c.B + d.B + 2) >> 2));
                }
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }
}
