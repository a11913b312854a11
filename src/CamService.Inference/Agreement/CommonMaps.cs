using System.Numerics.Tensors;

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
        // Plain loops: at a 1280 px rendering this walks millions of pixels per map.
        var covered = new List<int>(length);
        for (var p = 0; p < length; p++)
        {
            var all = true;
            for (var m = 0; m < maps.Count && all; m++)
            {
                all = !float.IsNaN(maps[m][p]);
            }
            if (all)
            {
                covered.Add(p);
            }
        }
        if (covered.Count == 0)
        {
            throw new ArgumentException("No pixel is covered by every map.", nameof(maps));
        }
        var pixels = covered.ToArray();
        var values = new float[maps.Count][];
        for (var m = 0; m < maps.Count; m++)
        {
            var (map, normalised) = (maps[m], new float[pixels.Length]);
            for (var i = 0; i < pixels.Length; i++)
            {
                normalised[i] = map[pixels[i]];
            }
            var (min, max) = (TensorPrimitives.Min(normalised), TensorPrimitives.Max(normalised));
            if (max > min)
            {
                // v − min ≤ max − min in floating point too, so the values stay within [0, 1].
                TensorPrimitives.Subtract(normalised, min, normalised);
                TensorPrimitives.Divide(normalised, max - min, normalised);
            }
            else
            {
                Array.Clear(normalised);
            }
            values[m] = normalised;
        }
        return new CommonMaps(pixels, values);
    }
}
