using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Testing;

namespace CamService.Inference.Tests.Faithfulness;

/// <summary>
/// The metrics' sanity check: on the colour model, whose evidence for "red" is exactly the red pixels, Grad-CAM's
/// map of a red patch on grey must score clearly better than random maps and than its own inverse. Red counts as
/// evidence above a threshold only, so that blurring the patch (where insertion starts) takes its evidence away.
/// </summary>
public sealed class FaithfulnessSanityTests : IDisposable
{
    const int Size = 32;

    /// <summary>Logits scaled so that the patch makes "red" the likeliest class (0.71 against 0.25 without it).</summary>
    readonly CamReadyModel model = CamReadyModel.Create(
        new CamReadyBuilder().Prepare(TestModels.ColourClassifier(Size, logitScale: 64, evidenceThreshold: 0.5f)).Model, new ExecutionSettings());

    /// <summary>Normalised grey (0: no evidence for any class) with a red 8×8 patch at (4, 20).</summary>
    static float[] Image()
    {
        var image = new float[3 * Size * Size];
        for (var y = 4; y < 12; y++)
        {
            for (var x = 20; x < 28; x++)
            {
                image[y * Size + x] = 1;
                image[Size * Size + y * Size + x] = -1;
                image[2 * Size * Size + y * Size + x] = -1;
            }
        }
        return image;
    }

    FaithfulnessScores Score(CamMap map, float probability) =>
        FaithfulnessEvaluator.Evaluate(model, Image(), map, TestModels.Red, probability, FaithfulnessMetrics.All);

    [Fact]
    public void GradCam_ScoresBetterThanRandomMaps_AndThanItsInverse()
    {
        var explained = CamEngine.Explain(model, "colour", Image(), 1, [new(TestModels.Red, null)], [new GradCam()])[0].Maps[0];
        var gradCam = explained.Map;
        var inverse = gradCam with { Data = gradCam.Data.Select(v => -v).ToArray() };
        var right = Score(gradCam, explained.Probability);
        var inverted = Score(inverse, explained.Probability);
        var random = Enumerable.Range(0, 5).Select(seed =>
        {
            var generator = new Random(seed);
            return Score(gradCam with { Data = gradCam.Data.Select(_ => (float)generator.NextDouble()).ToArray() }, explained.Probability);
        }).ToList();

        Assert.True(explained.Probability > 0.6, $"The patch should make red likely, not {explained.Probability}.");
        // Deleting the patch first makes the probability fall at once; deleting it last keeps it up all along.
        Assert.True(right.DeletionAuc < random.Min(r => r.DeletionAuc) - 0.05, $"deletion: {right.DeletionAuc} against random {random.Min(r => r.DeletionAuc)}");
        Assert.True(random.Max(r => r.DeletionAuc) < inverted.DeletionAuc, $"deletion: random {random.Max(r => r.DeletionAuc)} against inverted {inverted.DeletionAuc}");
        Assert.True(right.InsertionAuc > random.Max(r => r.InsertionAuc) + 0.05, $"insertion: {right.InsertionAuc} against random {random.Max(r => r.InsertionAuc)}");
        Assert.True(right.InsertionAuc > inverted.InsertionAuc + 0.05, $"insertion: {right.InsertionAuc} against inverted {inverted.InsertionAuc}");
        // Keeping what the map shows keeps the evidence; keeping the rest loses it.
        Assert.True(right.AverageDrop < inverted.AverageDrop - 20, $"drop: {right.AverageDrop} against inverted {inverted.AverageDrop}");
        Assert.Equal(41, right.Forwards);
    }

    public void Dispose() => model.Dispose();
}
