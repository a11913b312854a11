using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging;

/// <summary>Colormaps for heatmaps: 0 is the coolest colour, 1 the hottest.</summary>
public enum Colormap
{
    /// <summary>matplotlib's jet (blue → cyan → yellow → red): familiar from Grad-CAM papers, not perceptually uniform.</summary>
    Jet,

    /// <summary>Google's turbo: jet's look with smooth, perceptually ordered lightness.</summary>
    Turbo,

    /// <summary>matplotlib's default: perceptually uniform and readable by colour-blind viewers.</summary>
    Viridis,

    /// <summary>matplotlib's inferno: perceptually uniform, black → red → yellow.</summary>
    Inferno,
}

/// <summary>
/// The 256-entry lookup tables behind <see cref="Colormap"/>, built once. Entry i is the colour at i / 255.
/// Viridis, inferno and turbo are matplotlib's published tables, stored as the few control points between
/// which linear interpolation reproduces all 256 entries within 0.3/255 (scripts/colormap-control-points.py
/// regenerates them); jet is matplotlib's piecewise-linear definition evaluated directly.
/// </summary>
internal static class ColormapTables
{
    static readonly Rgb24[] JetTable = FromSegments(
        [(0.00, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1.00, 0.5)],
        [(0.000, 0), (0.125, 0), (0.375, 1), (0.640, 1), (0.910, 0), (1.000, 0)],
        [(0.00, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1.00, 0)]);

    static readonly Rgb24[] TurboTable = FromControlPoints(ColormapPoints.Turbo);

    static readonly Rgb24[] ViridisTable = FromControlPoints(ColormapPoints.Viridis);

    static readonly Rgb24[] InfernoTable = FromControlPoints(ColormapPoints.Inferno);

    public static ReadOnlySpan<Rgb24> Get(Colormap colormap) => colormap switch
    {
        Colormap.Jet => JetTable,
        Colormap.Turbo => TurboTable,
        Colormap.Viridis => ViridisTable,
        Colormap.Inferno => InfernoTable,
        _ => throw new ArgumentOutOfRangeException(nameof(colormap), colormap, "Unknown colormap."),
    };

    /// <summary>matplotlib's LinearSegmentedColormap with continuous segments (x, value), sampled at i / 255.</summary>
    static Rgb24[] FromSegments((double X, double Value)[] red, (double X, double Value)[] green, (double X, double Value)[] blue)
    {
        var table = new Rgb24[256];
        for (var i = 0; i < table.Length; i++)
        {
            var x = i / 255.0;
            table[i] = new Rgb24(ToByte(Segment(red, x)), ToByte(Segment(green, x)), ToByte(Segment(blue, x)));
        }
        return table;
    }

    static double Segment((double X, double Value)[] points, double x)
    {
        var k = 1;
        while (k < points.Length - 1 && points[k].X < x)
        {
            k++;
        }
        var (x0, y0) = points[k - 1];
        var (x1, y1) = points[k];
        return y0 + (y1 - y0) * Math.Clamp((x - x0) / (x1 - x0), 0, 1);
    }

    /// <summary>Rebuilds a 256-entry table from (index, r, g, b) control points by linear interpolation.</summary>
    static Rgb24[] FromControlPoints(float[] points)
    {
        var table = new Rgb24[256];
        for (var p = 0; p + 4 < points.Length; p += 4)
        {
            var (start, end) = ((int)points[p], (int)points[p + 4]);
            for (var i = start; i <= end; i++)
            {
                var t = (double)(i - start) / (end - start);
                table[i] = new Rgb24(
                    ToByte(Lerp(points[p + 1], points[p + 5], t)),
                    ToByte(Lerp(points[p + 2], points[p + 6], t)),
                    ToByte(Lerp(points[p + 3], points[p + 7], t)));
            }
        }
        return table;
    }

    static double Lerp(double a, double b, double t) => a + (b - a) * t;

    static byte ToByte(double value) => (byte)Math.Round(Math.Clamp(value, 0, 1) * 255);
}
