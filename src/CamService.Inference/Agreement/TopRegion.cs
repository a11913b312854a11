namespace CamService.Inference.Agreement;

/// <summary>The top k % of a map's pixels and the overlap of two such regions.</summary>
public static class TopRegion
{
    /// <summary>
    /// The round(k % × n) highest values' positions (at least one), as a mask; equal values by position, so the
    /// region does not depend on the sort.
    /// </summary>
    public static bool[] Of(ReadOnlySpan<float> values, double topPercent)
    {
        if (!(topPercent > 0 && topPercent <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(topPercent), topPercent, "The top percentage is more than 0 and at most 100.");
        }
        var copy = values.ToArray();
        var order = Enumerable.Range(0, copy.Length).ToArray();
        Array.Sort(order, (a, b) => copy[a] != copy[b] ? copy[b].CompareTo(copy[a]) : a.CompareTo(b));
        var count = Math.Clamp((int)Math.Round(copy.Length * topPercent / 100, MidpointRounding.AwayFromZero), 1, copy.Length);
        var mask = new bool[copy.Length];
        foreach (var p in order.AsSpan(0, count))
        {
            mask[p] = true;
        }
        return mask;
    }

    /// <summary>|A ∩ B| / |A ∪ B| of two masks of the same length (1 for two empty ones).</summary>
    public static double Iou(bool[] a, bool[] b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("The masks must be the same length.");
        }
        int both = 0, either = 0;
        for (var i = 0; i < a.Length; i++)
        {
            both += a[i] && b[i] ? 1 : 0;
            either += a[i] || b[i] ? 1 : 0;
        }
        return either == 0 ? 1 : (double)both / either;
    }
}
