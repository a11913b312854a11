namespace CamService.Imaging;

/// <summary>
/// One axis of <see cref="InputGeometry"/>: <see cref="Image"/> pixels are resized to <see cref="Resized"/>,
/// then the model input's <see cref="Input"/> pixels start <see cref="Crop"/> pixels into the resized image
/// (negative when torchvision pads a too-small image with zeros).
/// <para>
/// Conventions, used everywhere in this library: pixel i covers [i, i + 1) in "edge" coordinates and its
/// centre is at i + 0.5. A "centre" coordinate is edge − 0.5, so pixel i sits at i. Resizing n pixels to m
/// maps edges by m / n, hence centres by x_dst = (x_src + 0.5) · m / n − 0.5 — the convention of PIL,
/// ImageSharp, OpenCV and torch's align_corners=False.
/// </para>
/// </summary>
internal readonly record struct Axis(int Image, int Resized, int Crop, int Input)
{
    /// <summary>Image centre coordinate → model-input centre coordinate.</summary>
    public double ImageToInput(double x) => (x + 0.5) * Resized / Image - 0.5 - Crop;

    /// <summary>Model-input centre coordinate → image centre coordinate.</summary>
    public double InputToImage(double u) => (u + 0.5 + Crop) * Image / Resized - 0.5;

    /// <summary>Image edge coordinate where the model input's first edge (0) lands, clamped to the image.</summary>
    public double VisibleStart => Math.Clamp((double)Crop * Image / Resized, 0, Image);

    /// <summary>Image edge coordinate where the model input's far edge lands, clamped to the image.</summary>
    public double VisibleEnd => Math.Clamp((double)(Crop + Input) * Image / Resized, 0, Image);

    /// <summary>
    /// The pixels, of <paramref name="samples"/> spanning the whole image along this axis, whose centres
    /// the model input covers: [Start, End). Sample i's centre lies at (i + 0.5) · Resized / samples in
    /// resized edge coordinates, and is covered when Crop ≤ that &lt; Crop + Input. Solved exactly in
    /// integers so the covered set never depends on floating-point rounding.
    /// </summary>
    public (int Start, int End) Covered(int samples)
    {
        // (2i + 1) · Resized ≥ 2 · Crop · samples  ⇔  i ≥ ⌈(2 · Crop · samples − Resized) / (2 · Resized)⌉, likewise for the end.
        var twiceResized = 2L * Resized;
        var start = CeilingDivide(2L * Crop * samples - Resized, twiceResized);
        var end = CeilingDivide(2L * (Crop + Input) * samples - Resized, twiceResized);
        var first = (int)Math.Clamp(start, 0, samples);
        return (first, (int)Math.Clamp(end, first, samples));
    }

    /// <summary>
    /// Where sample i (of <paramref name="samples"/> spanning the image) falls on a map of
    /// <paramref name="cells"/> that spans the model input, as a centre coordinate: c = a · i + b.
    /// </summary>
    public (double Slope, double Intercept) ToMap(int samples, int cells)
    {
        // input edge = (i + 0.5) · Resized / samples − Crop; map centre = input edge · cells / Input − 0.5.
        var slope = (double)Resized / samples * cells / Input;
        return (slope, (0.5 * Resized / samples - Crop) * cells / Input - 0.5);
    }

    /// <summary>⌈n / d⌉ for d &gt; 0: division truncates toward zero, which is already the ceiling for negative quotients.</summary>
    static long CeilingDivide(long numerator, long denominator)
    {
        var (quotient, remainder) = Math.DivRem(numerator, denominator);
        return remainder > 0 ? quotient + 1 : quotient;
    }
}
