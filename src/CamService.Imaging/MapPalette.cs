using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging;

/// <summary>
/// The colours a map is drawn with: each colormap sampled at <see cref="Levels"/> evenly spaced values, and the
/// fixed-point blend of those colours over a photo's pixels.
/// </summary>
static class MapPalette
{
    /// <summary>Colours a map is drawn with (CamRenderer.Levels).</summary>
    public const int Levels = 255;

    static readonly Rgb24[][] Palettes = Enum.GetValues<Colormap>().Select(SamplePalette).ToArray();

    /// <summary>The colormap's <see cref="Levels"/> samples.</summary>
    public static ReadOnlySpan<Rgb24> Of(Colormap colormap) => Palettes[(int)colormap];

    static Rgb24[] SamplePalette(Colormap colormap)
    {
        var table = ColormapTables.Get(colormap);
        var palette = new Rgb24[Levels];
        for (var i = 0; i < Levels; i++)
        {
            palette[i] = table[(int)Math.Round(i * (table.Length - 1) / (double)(Levels - 1))];
        }
        return palette;
    }

    /// <summary>Nearest palette entry; values outside [0, 1] are clamped (the caller has ruled out NaN).</summary>
    public static int Index(float value) => (int)(Math.Clamp(value, 0f, 1f) * (Levels - 1) + 0.5f);

    /// <summary>
    /// Fixed point in 1/256ths: each colormap entry's colour times alpha (and the rounding half) into
    /// <paramref name="weighted"/>, computed once rather than per pixel; returns the photo's weight.
    /// </summary>
    public static int BlendTable(Colormap colormap, float alpha, Span<int> weighted)
    {
        if (!(alpha >= 0 && alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must be between 0 and 1.");
        }
        var colourWeight = (int)MathF.Round(alpha * 256);
        var table = Of(colormap);
        for (var i = 0; i < table.Length; i++)
        {
            weighted[3 * i] = table[i].R * colourWeight + 128;
            weighted[3 * i + 1] = table[i].G * colourWeight + 128;
            weighted[3 * i + 2] = table[i].B * colourWeight + 128;
        }
        return 256 - colourWeight;
    }

    /// <summary>Each pixel of <paramref name="source"/> blended with its value's colour into <paramref name="target"/>; a NaN value keeps the pixel.</summary>
    public static void Blend(ReadOnlySpan<Rgb24> source, ReadOnlySpan<float> values, ReadOnlySpan<int> weighted, int pixelWeight, Span<Rgb24> target)
    {
        for (var x = 0; x < values.Length; x++)
        {
            var value = values[x];
            var pixel = source[x];
            if (float.IsNaN(value))
            {
                target[x] = pixel;
                continue;
            }
            var entry = 3 * Index(value);
            target[x] = new Rgb24(
                (byte)((pixel.R * pixelWeight + weighted[entry]) >> 8),
                (byte)((pixel.G * pixelWeight + weighted[entry + 1]) >> 8),
                (byte)((pixel.B * pixelWeight + weighted[entry + 2]) >> 8));
        }
    }
}
