using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;

namespace CamService.Inference.Tests.Faithfulness;

/// <summary>
/// The metrics against the same computed by hand on <see cref="SumModel"/> (class 0's logit = the sum of the first
/// channel), a 2×2 image and a map at the input's own size (so upsampling leaves it as it is), in both layouts.
/// </summary>
public sealed class FaithfulnessArithmeticTests
{
    /// <summary>First channel 4, 3, 2, 1 (row-major); the map ranks the pixels the same way.</summary>
    static readonly float[] FirstChannel = [4, 3, 2, 1];

    static readonly CamMap Map = new(2, 2, [8, 6, 4, 2]);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AverageDrop_IsTheDropOfTheProbabilityOnTheMaskedImage(bool channelsFirst)
    {
        var model = new SumModel(2, 2, channelsFirst);
        var y = SumModel.Probability(10);

        var scores = FaithfulnessEvaluator.Evaluate(model, model.Image(FirstChannel, 5), Map, 0, y, FaithfulnessMetrics.Drop);

        // The normalised map is 1, 2/3, 1/3, 0: the masked sum is 4 + 2 + 2/3.
        var o = SumModel.Probability(4 + 2 + 2.0 / 3);
        Assert.Equal(Math.Max(0, y - o) / y * 100, scores.AverageDrop!.Value, 4);
        Assert.False(scores.Increase);
        Assert.Equal(1, scores.Forwards);
        Assert.Null(scores.DeletionAuc);
        Assert.Null(scores.InsertionCurve);
    }

    [Fact]
    public void Increase_WhenTheMaskedImageScoresHigher()
    {
        var model = new SumModel(2, 2, channelsFirst: true);
        // Negative evidence where the map is cold: masking it away raises the score.
        var scores = FaithfulnessEvaluator.Evaluate(model, model.Image([4, 3, 2, -20], 0), Map, 0, SumModel.Probability(-11), FaithfulnessMetrics.Drop);

        Assert.True(scores.Increase);
        Assert.Equal(0, scores.AverageDrop);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Deletion_RemovesTheHottestPixelsFirst_ToTheBaseline(bool channelsFirst)
    {
        var model = new SumModel(2, 2, channelsFirst);
        var y = SumModel.Probability(10);

        var scores = FaithfulnessEvaluator.Evaluate(model, model.Image(FirstChannel, 5), Map, 0, y, FaithfulnessMetrics.Deletion,
            new FaithfulnessOptions { Steps = 4, BatchSize = 3 });

        float[] expected = [y, SumModel.Probability(6), SumModel.Probability(3), SumModel.Probability(1), SumModel.Probability(0)];
        Assert.Equal(expected, scores.DeletionCurve!, new FloatTolerance(1e-6f));
        var area = (expected[0] / 2 + expected[1] + expected[2] + expected[3] + expected[4] / 2) / 4.0;
        Assert.Equal(area, scores.DeletionAuc!.Value, 6);
        // Point 0 is the caller's probability: 4 forward passes, in batches of 3 and 1.
        Assert.Equal(4, scores.Forwards);
        Assert.Equal([3, 1], model.Batches);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Insertion_PutsTheHottestPixelsBackIntoTheBlurredImageFirst(bool channelsFirst)
    {
        var model = new SumModel(2, 2, channelsFirst);
        var y = SumModel.Probability(10);

        var scores = FaithfulnessEvaluator.Evaluate(model, model.Image(FirstChannel, 5), Map, 0, y, FaithfulnessMetrics.Insertion,
            new FaithfulnessOptions { Steps = 2 });

        var blurred = Blur(FirstChannel, 2, 2);
        float[] expected =
        [
            SumModel.Probability(blurred.Sum()),
            SumModel.Probability(FirstChannel[0] + FirstChannel[1] + blurred[2] + blurred[3]),
            y,
        ];
        Assert.Equal(expected, scores.InsertionCurve!, new FloatTolerance(1e-6f));
        Assert.Equal((expected[0] / 2 + expected[1] + expected[2] / 2) / 2.0, scores.InsertionAuc!.Value, 5);
        Assert.Equal(2, scores.Forwards);
    }

    [Fact]
    public void AllMetrics_TakeOneForwardForTheDrop_AndStepsForEachCurve()
    {
        var model = new SumModel(4, 4, channelsFirst: true);
        var scores = FaithfulnessEvaluator.Evaluate(model, model.Image(new float[16], 0), new CamMap(2, 2, [1, 0, 0, 0]), 0, 0.5f,
            FaithfulnessMetrics.All, new FaithfulnessOptions { Steps = 5 });

        Assert.Equal(11, scores.Forwards);
        Assert.Equal(11, model.Images);
        Assert.Equal(6, scores.DeletionCurve!.Length);
        Assert.Equal(6, scores.InsertionCurve!.Length);
        Assert.NotNull(scores.AverageDrop);
    }

    [Fact]
    public void Cancelled_StopsBeforeTheForwards()
    {
        var model = new SumModel(2, 2, channelsFirst: true);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => FaithfulnessEvaluator.Evaluate(model, model.Image(FirstChannel, 0), Map, 0, 0.5f,
            FaithfulnessMetrics.All, cancellationToken: cancelled.Token));
        Assert.Equal(0, model.Images);
    }

    [Fact]
    public void NonFiniteLogits_OfAPerturbedImage_AreRefused()
    {
        var model = new SumModel(2, 2, channelsFirst: true);
        // Infinity times the map's 0 is NaN on the masked image.
        var image = model.Image([4, 3, 2, float.PositiveInfinity], 0);

        var error = Assert.Throws<NonFiniteOutputException>(() => FaithfulnessEvaluator.Evaluate(model, image, Map, 0, 0.5f, FaithfulnessMetrics.Drop));
        Assert.Equal("logits", error.Output);
    }

    [Fact]
    public void Area_IsTheTrapezoidRule()
    {
        Assert.Equal(0.5, FaithfulnessEvaluator.Area([1, 0]));
        Assert.Equal(0.375, FaithfulnessEvaluator.Area([0, 0.5f, 0.5f]));
    }

    [Theory]
    [InlineData("all", FaithfulnessMetrics.All)]
    [InlineData("drop", FaithfulnessMetrics.Drop)]
    [InlineData(" Deletion , insertion", FaithfulnessMetrics.Deletion | FaithfulnessMetrics.Insertion)]
    public void Names_Parse(string text, FaithfulnessMetrics expected)
    {
        Assert.True(FaithfulnessMetricNames.TryParse(text, out var metrics, out _));
        Assert.Equal(expected, metrics);
    }

    [Fact]
    public void UnknownName_IsNamed()
    {
        Assert.False(FaithfulnessMetricNames.TryParse("drop,road", out _, out var unknown));
        Assert.Equal("road", unknown);
    }

    [Fact]
    public void InputMap_UpsamplesWithHalfPixelCentres_AndNormalises()
    {
        var map = new float[4];
        InputMap.Fill([0, 2], 1, 2, map, 1, 4);
        // Centres of the output at 0.5, 1.5, 2.5, 3.5 fall at −0.25, 0.25, 0.75, 1.25 cells: edges held, then 1/4 and 3/4.
        Assert.Equal([0, 0.25f, 0.75f, 1], map);

        InputMap.Fill([3, 3], 1, 2, map, 1, 4);
        Assert.All(map, v => Assert.Equal(0, v));
    }

    /// <summary>
    /// RISE's blur as a direct 2-D sum: weights exp(−d²/2σ²) for offsets −5…5 on both axes, normalised, with
    /// the coordinates clamped to the image.
    /// </summary>
    static float[] Blur(float[] plane, int height, int width)
    {
        var weights = Enumerable.Range(-5, 11).Select(d => Math.Exp(-d * d / 50.0)).ToArray();
        var total = weights.Sum() * weights.Sum();
        var blurred = new float[plane.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double sum = 0;
                for (var dy = -5; dy <= 5; dy++)
                {
                    for (var dx = -5; dx <= 5; dx++)
                    {
                        sum += weights[dy + 5] * weights[dx + 5] * plane[Math.Clamp(y + dy, 0, height - 1) * width + Math.Clamp(x + dx, 0, width - 1)];
                    }
                }
                blurred[y * width + x] = (float)(sum / total);
            }
        }
        return blurred;
    }
}
