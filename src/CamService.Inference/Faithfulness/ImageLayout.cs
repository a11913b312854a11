using CamService.Inference.Methods;

namespace CamService.Inference.Faithfulness;

/// <summary>
/// Where a pixel's three values lie in one preprocessed image, channels first ([3, H, W]) or last ([H, W, 3]),
/// so the metrics handle both layouts with one code path.
/// </summary>
public readonly record struct ImageLayout(int Height, int Width, bool ChannelsFirst)
{
    public int Pixels => Height * Width;

    public int Length => 3 * Pixels;

    /// <summary>The layout of <see cref="ICamModel.ImageShape"/>: [3, H, W] is channels first, [H, W, 3] last.</summary>
    public static ImageLayout Of(ICamModel model)
    {
        var shape = model.ImageShape;
        return shape[0] == 3 ? new ImageLayout(shape[1], shape[2], true) : new ImageLayout(shape[0], shape[1], false);
    }

    /// <summary>The index of pixel <paramref name="pixel"/> (row-major) in channel <paramref name="channel"/>.</summary>
    public int Index(int pixel, int channel) => ChannelsFirst ? channel * Pixels + pixel : 3 * pixel + channel;

    public void ReadChannel(ReadOnlySpan<float> image, int channel, Span<float> plane)
    {
        for (var p = 0; p < Pixels; p++)
        {
            plane[p] = image[Index(p, channel)];
        }
    }

    public void WriteChannel(ReadOnlySpan<float> plane, int channel, Span<float> image)
    {
        for (var p = 0; p < Pixels; p++)
        {
            image[Index(p, channel)] = plane[p];
        }
    }

    /// <summary>The image with every channel of each pixel multiplied by the map's value there.</summary>
    public void Multiply(ReadOnlySpan<float> image, ReadOnlySpan<float> map, Span<float> product)
    {
        for (var p = 0; p < Pixels; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                var i = Index(p, c);
                product[i] = image[i] * map[p];
            }
        }
    }

    /// <summary>Copies all three channels of the listed pixels from <paramref name="source"/> into <paramref name="target"/>.</summary>
    public void CopyPixels(ReadOnlySpan<float> source, ReadOnlySpan<int> pixels, Span<float> target)
    {
        foreach (var p in pixels)
        {
            for (var c = 0; c < 3; c++)
            {
                var i = Index(p, c);
                target[i] = source[i];
            }
        }
    }

    /// <summary>Sets all three channels of the listed pixels to <paramref name="value"/>.</summary>
    public void FillPixels(ReadOnlySpan<int> pixels, float value, Span<float> target)
    {
        foreach (var p in pixels)
        {
            for (var c = 0; c < 3; c++)
            {
                target[Index(p, c)] = value;
            }
        }
    }
}
