namespace CamService.Inference.Faithfulness;

/// <summary>
/// The blurred image insertion starts from: RISE's Gaussian of 11 taps and σ = 5 (klen=11, nsig=5), per channel,
/// as two 1-D passes (a Gaussian is separable), with the edges clamped. RISE pads with zeros instead, which
/// darkens a border 5 pixels wide towards the dataset mean; clamping keeps the blurred image an image.
/// </summary>
public static class GaussianBlur
{
    public const int Taps = 11;

    public const double Sigma = 5;

    static readonly float[] Kernel = MakeKernel();

    static float[] MakeKernel()
    {
        var radius = Taps / 2;
        var weights = Enumerable.Range(-radius, Taps).Select(d => Math.Exp(-d * d / (2 * Sigma * Sigma))).ToArray();
        var sum = weights.Sum();
        return weights.Select(w => (float)(w / sum)).ToArray();
    }

    /// <summary>Blurs each of the three channels of <paramref name="image"/> (its layout given by <paramref name="layout"/>) into <paramref name="blurred"/>.</summary>
    public static void Apply(ReadOnlySpan<float> image, ImageLayout layout, Span<float> blurred)
    {
        var (height, width) = (layout.Height, layout.Width);
        var plane = new float[height * width];
        var across = new float[height * width];
        var radius = Taps / 2;
        for (var c = 0; c < 3; c++)
        {
            layout.ReadChannel(image, c, plane);
            for (var y = 0; y < height; y++)
            {
                var row = plane.AsSpan(y * width, width);
                for (var x = 0; x < width; x++)
                {
                    var sum = 0f;
                    for (var k = 0; k < Taps; k++)
                    {
                        sum += Kernel[k] * row[Math.Clamp(x + k - radius, 0, width - 1)];
                    }
                    across[y * width + x] = sum;
                }
            }
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var sum = 0f;
                    for (var k = 0; k < Taps; k++)
                    {
                        sum += Kernel[k] * across[Math.Clamp(y + k - radius, 0, height - 1) * width + x];
                    }
                    plane[y * width + x] = sum;
                }
            }
            layout.WriteChannel(plane, c, blurred);
        }
    }
}
