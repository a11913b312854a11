using CamService.Inference.Agreement;

namespace CamService.Inference.Tests.Agreement;

public sealed class MapAgreementTests
{
    static float[] Noise(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
    }

    [Fact]
    public void AMapAgreesWithItself_Exactly()
    {
        var map = Noise(500, 1);
        // Ties too: a coarse copy.
        var coarse = map.Select(v => MathF.Round(v * 4)).ToArray();

        var agreement = MapAgreement.Compare([map, map.ToArray(), coarse, coarse.ToArray()]);

        Assert.Equal(1.0, agreement.Spearman[0][1]);
        Assert.Equal(1.0, agreement.Spearman[2][3]);
        Assert.Equal(1.0, agreement.TopIou[0][1]);
        Assert.Equal(1.0, agreement.TopIou[2][3]);
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal((1.0, 1.0), (agreement.Spearman[i][i], agreement.TopIou[i][i])));
    }

    [Fact]
    public void AMapAndItsInverse_AreExactlyOpposed()
    {
        var map = Noise(301, 2);
        var coarse = map.Select(v => MathF.Round(v * 3)).ToArray();

        var agreement = MapAgreement.Compare([map, map.Select(v => 1 - v).ToArray(), coarse, coarse.Select(v => -v).ToArray()], topPercent: 40);

        Assert.Equal(-1.0, agreement.Spearman[0][1]);
        Assert.Equal(-1.0, agreement.Spearman[2][3]);
        // The top 40 % of one is inside the bottom 60 % of the other.
        Assert.Equal(0.0, agreement.TopIou[0][1]);
    }

    [Fact]
    public void SmallExample_ByHand()
    {
        // Ranks: a = 1, 2, 3, 4; b = 2, 1, 3, 4. Σd² = 2, so ρ = 1 − 6·2 / (4·15) = 0.8.
        // Top 50 %: a's {2, 3}, b's {2, 3}; top 25 %: a's {3}, b's {3}.
        float[] a = [0, 1, 2, 3];
        float[] b = [5, 4, 6, 9];

        var half = MapAgreement.Compare([a, b], topPercent: 50);
        Assert.Equal(0.8, half.Spearman[0][1], 12);
        Assert.Equal(half.Spearman[0][1], half.Spearman[1][0]);
        Assert.Equal(1.0, half.TopIou[0][1]);

        // c's top half is {0, 3}: one shared pixel of three.
        float[] c = [9, 0, 1, 8];
        Assert.Equal(1.0 / 3, MapAgreement.Compare([a, c], topPercent: 50).TopIou[0][1], 12);
    }

    [Fact]
    public void TiedValues_ShareTheirAverageRank()
    {
        Assert.Equal([1.5, 1.5, 3, 5, 5, 5], RankCorrelation.Ranks([1, 1, 2, 7, 7, 7]));
        // Pearson of ranks 1.5, 1.5, 3 with 1, 2, 3: covariance 1.5 · 1 … computed directly.
        double[] x = [1.5, 1.5, 3], y = [1, 2, 3];
        var expected = (-0.5 * -1 + -0.5 * 0 + 1 * 1) / Math.Sqrt((0.25 + 0.25 + 1) * 2);
        Assert.Equal(expected, RankCorrelation.Spearman(x, y), 12);
    }

    [Fact]
    public void PixelsOutsideAnyMapsCrop_AreIgnored()
    {
        // Both rank the covered pixels 0 to 3 the same; outside, b disagrees wildly and a is not defined.
        float[] a = [0, 1, 2, 3, float.NaN, float.NaN];
        float[] b = [10, 11, 12, 13, 100, -100];

        var agreement = MapAgreement.Compare([a, b], topPercent: 25);

        Assert.Equal(4, agreement.CommonPixels);
        Assert.Equal(1.0, agreement.Spearman[0][1]);
        Assert.Equal(1.0, agreement.TopIou[0][1]);
    }

    [Fact]
    public void Consensus_IsTheMean_AndDisagreementTheDeviation_OfTheNormalisedMaps()
    {
        // Normalised over the common pixels: a = 0, ½, 1; b = 1, ½, 0 (its 40 lies outside a's crop).
        float[] a = [0, 1, 2, float.NaN];
        float[] b = [4, 3, 2, 40];
        var consensus = new float[4];
        var disagreement = new float[4];

        MapAgreement.Combine([a, b], consensus, disagreement);

        Assert.Equal([0.5f, 0.5f, 0.5f], consensus[..3]);
        Assert.Equal([0.5f, 0f, 0.5f], disagreement[..3]);
        Assert.True(float.IsNaN(consensus[3]) && float.IsNaN(disagreement[3]));
    }

    [Fact]
    public void NoCommonPixel_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => MapAgreement.Compare([[1, float.NaN], [float.NaN, 1]]));
    }
}
