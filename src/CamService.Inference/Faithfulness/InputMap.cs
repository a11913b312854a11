using System.Numerics.Tensors;

namespace CamService.Inference.Faithfulness;

/// <summary>
/// A raw map as the faithfulness metrics use it: upsampled bilinearly to the model input's H×W and min-max
/// normalised to [0, 1].
/// </summary>
public static class InputMap
{
    /// <summary>
    /// Upsamples <paramref name="cam"/> (<paramref name="camHeight"/>×<paramref name="camWidth"/>, row-major) into
    /// <paramref name="map"/> (<paramref name="height"/>×<paramref name="width"/>) with half-pixel centres
    /// (align_corners=False, as cv2.resize and the service's pictures do: a cell covers its share of the input),
    /// then scales it to (v − min) / (max − min). A constant map carries no ranking, so it becomes all zeros:
    /// its Average Drop image is the baseline and its deletion and insertion orders fall back to pixel order.
    /// </summary>
    public static void Fill(ReadOnlySpan<float> cam, int camHeight, int camWidth, Span<float> map, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(camHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(camWidth, 1);
        if (cam.Length != camHeight * camWidth || map.Length != height * width)
        {
            throw new ArgumentException($"Expected a {camHeight}×{camWidth} map into {height}×{width} values.");
        }
        var columns = Taps(camWidth, width);
        var rows = Taps(camHeight, height);
        for (var y = 0; y < height; y++)
        {
            var (top, bottom, vertical) = rows[y];
            var upper = cam.Slice(top * camWidth, camWidth);
            var lower = cam.Slice(bottom * camWidth, camWidth);
            var output = map.Slice(y * width, width);
            for (var x = 0; x < width; x++)
            {
                var (left, right, horizontal) = columns[x];
                var a = upper[left] + (upper[right] - upper[left]) * horizontal;
                var b = lower[left] + (lower[right] - lower[left]) * horizontal;
                output[x] = a + (b - a) * vertical;
            }
        }
        var (min, max) = (TensorPrimitives.Min(map), TensorPrimitives.Max(map));
        if (!(max > min))
        {
            map.Clear();
            return;
        }
        TensorPrimitives.Subtract(map, min, map);
        TensorPrimitives.Divide(map, max - min, map);
    }

    /// <summary>Per output position: the cells before and after its centre and the weight of the second, edges held.</summary>
    static (int Low, int High, float Fraction)[] Taps(int cells, int outputs)
    {
        var taps = new (int, int, float)[outputs];
        var scale = (double)cells / outputs;
        for (var o = 0; o < outputs; o++)
        {
            var source = Math.Clamp((o + 0.5) * scale - 0.5, 0, cells - 1);
            var low = (int)source;
            taps[o] = (low, Math.Min(low + 1, cells - 1), (float)(source - low));
        }
        return taps;
    }
}
