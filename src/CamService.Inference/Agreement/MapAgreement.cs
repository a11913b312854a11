namespace CamService.Inference.Agreement;

/// <summary>
/// How far N maps of one image agree (several architectures' maps, each projected onto the same grid; see
/// <see cref="CommonMaps"/> for which pixels count and how each map is normalised).
/// </summary>
/// <param name="Spearman">N×N Spearman rank correlations over the common pixels; the diagonal is 1.</param>
/// <param name="TopIou">N×N intersection over union of the maps' top-k % regions; the diagonal is 1.</param>
/// <param name="TopPercent">k.</param>
/// <param name="CommonPixels">How many pixels every map covers, the ones compared.</param>
public sealed record MapAgreement(double[][] Spearman, double[][] TopIou, double TopPercent, int CommonPixels)
{
    /// <summary>The default k: a fifth of the picture, as the top regions of CAM comparisons usually are.</summary>
    public const double DefaultTopPercent = 20;

    /// <summary>Compares every pair of <paramref name="maps"/> (NaN where a map does not cover a pixel).</summary>
    public static MapAgreement Compare(IReadOnlyList<float[]> maps, double topPercent = DefaultTopPercent)
    {
        var common = CommonMaps.Of(maps);
        var count = maps.Count;
        var ranks = common.Values.Select(v => RankCorrelation.Ranks(v)).ToArray();
        var regions = common.Values.Select(v => TopRegion.Of(v, topPercent)).ToArray();
        var spearman = new double[count][];
        var iou = new double[count][];
        for (var i = 0; i < count; i++)
        {
            (spearman[i], iou[i]) = (new double[count], new double[count]);
            for (var j = 0; j < count; j++)
            {
                (spearman[i][j], iou[i][j]) = i == j
                    ? (1, 1)
                    : (RankCorrelation.Spearman(ranks[i], ranks[j]), TopRegion.Iou(regions[i], regions[j]));
            }
        }
        return new MapAgreement(spearman, iou, topPercent, common.Pixels.Length);
    }

    /// <summary>
    /// The consensus map, the mean of the normalised maps, and the disagreement map, their per-pixel standard
    /// deviation across the maps (population: divided by N, so from 0 where all agree to 0.5 where half say 0 and
    /// half 1); both NaN at pixels some map does not cover.
    /// </summary>
    public static void Combine(IReadOnlyList<float[]> maps, Span<float> consensus, Span<float> disagreement)
    {
        var common = CommonMaps.Of(maps);
        if (consensus.Length != maps[0].Length || disagreement.Length != maps[0].Length)
        {
            throw new ArgumentException("The consensus and disagreement maps are the maps' size.");
        }
        consensus.Fill(float.NaN);
        disagreement.Fill(float.NaN);
        for (var i = 0; i < common.Pixels.Length; i++)
        {
            double sum = 0, squares = 0;
            foreach (var values in common.Values)
            {
                sum += values[i];
                squares += (double)values[i] * values[i];
            }
            var mean = sum / maps.Count;
            consensus[common.Pixels[i]] = (float)mean;
            disagreement[common.Pixels[i]] = (float)Math.Sqrt(Math.Max(0, squares / maps.Count - mean * mean));
        }
    }
}
