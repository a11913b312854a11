namespace CamService.Inference.Agreement;

/// <summary>Spearman's rank correlation: Pearson's correlation of the values' ranks, tied values sharing their average rank.</summary>
public static class RankCorrelation
{
    /// <summary>
    /// Ranks 1…n, ascending; a run of equal values gets the mean of the ranks it spans. Every rank is a whole or
    /// half number, exact in a double, so a reversed map's ranks are exactly n + 1 minus these.
    /// </summary>
    public static double[] Ranks(ReadOnlySpan<float> values)
    {
        var copy = values.ToArray();
        var order = Enumerable.Range(0, values.Length).ToArray();
        Array.Sort(order, (a, b) => copy[a] != copy[b] ? copy[a].CompareTo(copy[b]) : a.CompareTo(b));
        var ranks = new double[values.Length];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && copy[order[end + 1]] == copy[order[start]])
            {
                end++;
            }
            var rank = (start + end) / 2.0 + 1;
            for (var i = start; i <= end; i++)
            {
                ranks[order[i]] = rank;
            }
            start = end + 1;
        }
        return ranks;
    }

    /// <summary>
    /// Pearson's correlation of two rank vectors, in [−1, 1]. A constant vector has no ranking: two of them agree
    /// (1), one against a ranking says nothing (0). Identical rankings give exactly 1, reversed ones exactly −1:
    /// the deviations are exact, and √(v·v) = v in floating point.
    /// </summary>
    public static double Spearman(double[] ranksA, double[] ranksB)
    {
        if (ranksA.Length != ranksB.Length || ranksA.Length == 0)
        {
            throw new ArgumentException("Two rankings of the same, non-zero length are needed.");
        }
        var mean = (ranksA.Length + 1) / 2.0;
        double covariance = 0, varianceA = 0, varianceB = 0;
        for (var i = 0; i < ranksA.Length; i++)
        {
            var (a, b) = (ranksA[i] - mean, ranksB[i] - mean);
            covariance += a * b;
            varianceA += a * a;
            varianceB += b * b;
        }
        if (varianceA == 0 || varianceB == 0)
        {
            return varianceA == varianceB ? 1 : 0;
        }
        return Math.Clamp(covariance / Math.Sqrt(varianceA * varianceB), -1, 1);
    }
}
