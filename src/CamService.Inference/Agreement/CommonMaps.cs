namespace CamService.Inference.Agreement;

/// <summary>
/// Maps of one image by several models, brought to common ground: only the pixels every map covers count (a map
/// marks the pixels outside its model's crop NaN, as CamRenderer.Project does), and each map is min-max normalised
/// over those pixels, so that a model whose map is hot outside another's crop is compared on what both saw.
/// </summary>
public sealed class CommonMaps
{
    CommonMaps(int[] pixels, float[][] values)
    {
        Pixels = pixels;
        Values = values;
    }

    /// <summary>The indices of the pixels every map covers, ascending.</summary>
    public int[] Pixels { get; }

    /// <summary>Per map, its normalised values at <see cref="Pixels"/>, in [0, 1]; a map constant there is all zeros.</summary>
    public float[][] Values { get; }

    /// <exception cref="ArgumentException">Fewer than one map, maps of different sizes, or no pixel covered by all.</exception>
    public static CommonMaps Of(IReadOnlyList<float[]> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count == 0)
        {
            throw new ArgumentException("At least one map is needed.", nameof(maps));
        }
        var length = maps[0].Length;
        if (maps.Any(m => m.Length != length))
        {
            throw new ArgumentException("The maps must be the same size.", nameof(maps));
        }
        var pixels = Enumerable.Range(0, length).Where(p => maps.All(m => !float.IsNaN(m[p]))).ToArray();
        if (pixels.Length == 0)
        {
            throw new ArgumentException("No pixel is covered by every map.", nameof(maps));
        }
        var values = maps.Select(map =>
        {
            var (min, max) = (float.PositiveInfinity, float.NegativeInfinity);
            foreach (var p in pixels)
            {
                (min, max) = (Math.Min(min, map[p]), Math.Max(max, map[p]));
            }
            var range = max - min;
            return pixels.Select(p => range > 0 ? (map[p] - min) / range : 0f).ToArray();
        }).ToArray();
        return new CommonMaps(pixels, values);
    }
}
