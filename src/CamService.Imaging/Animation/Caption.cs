using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Animation;

/// <summary>
/// The strip of text under an animation frame: light <see cref="BitmapFont"/> lines on a dark background, each cut
/// with an ellipsis to the strip's width, so nothing is drawn outside the frame.
/// </summary>
public static class Caption
{
    public static readonly Rgb24 Background = new(24, 24, 24);

    public static readonly Rgb24 Foreground = new(235, 235, 235);

    /// <summary>Space around the text and between lines, in font pixels.</summary>
    public const int Padding = 3;

    /// <summary>
    /// The font's scale for a frame <paramref name="width"/> pixels wide: 1 up to 639 px, then one more per
    /// 320 px, so a line holds 50–100 characters however large the frame.
    /// </summary>
    public static int Scale(int width) => Math.Max(1, width / 320);

    /// <summary>The strip's height in pixels for <paramref name="lines"/> lines at <paramref name="scale"/>.</summary>
    public static int Height(int lines, int scale) =>
        lines <= 0 ? 0 : (Padding + lines * (BitmapFont.GlyphHeight + Padding)) * scale;

    /// <summary>The lines as they will be drawn in a strip <paramref name="width"/> pixels wide: ASCII, too long ones cut with an ellipsis.</summary>
    public static IReadOnlyList<string> Fit(IReadOnlyList<string> lines, int width, int scale) =>
        lines.Select(line => BitmapFont.Fit(line, width - 2 * Padding * scale, scale)).ToList();

    /// <summary>
    /// Fills <paramref name="image"/> from row <paramref name="top"/> down to its bottom with the background and
    /// draws the lines in it (<see cref="Fit"/>); the strip is <see cref="Height"/> rows tall.
    /// </summary>
    public static void Draw(Image<Rgb24> image, int top, IReadOnlyList<string> lines, int scale)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        for (var y = top; y < image.Height; y++)
        {
            image.DangerousGetPixelRowMemory(y).Span.Fill(Background);
        }
        var fitted = Fit(lines, image.Width, scale);
        for (var i = 0; i < fitted.Count; i++)
        {
            var y = top + (Padding + i * (BitmapFont.GlyphHeight + Padding)) * scale;
            BitmapFont.Draw(image, fitted[i], Padding * scale, y, scale, Foreground);
        }
    }
}
