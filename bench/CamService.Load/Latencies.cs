namespace CamService.Load;

/// <summary>A sorted sample of latencies with nearest-rank percentiles.</summary>
internal sealed class Latencies
{
    readonly double[] sorted;

    public Latencies(IEnumerable<double> milliseconds)
    {
        sorted = milliseconds.ToArray();
        Array.Sort(sorted);
    }

    public int Count => sorted.Length;

    /// <summary>The smallest sample with at least <paramref name="percent"/> % of the samples at or below it; NaN when there are none.</summary>
    public double Percentile(double percent) => Count == 0
        ? double.NaN
        : sorted[Math.Max(1, (int)Math.Ceiling(percent / 100 * Count)) - 1];
}
