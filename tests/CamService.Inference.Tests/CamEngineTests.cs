using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Testing;

namespace CamService.Inference.Tests;

public sealed class CamEngineTests : IDisposable
{
    const int Size = 16;
    readonly CamReadyModel model = ColourModel.Load(Size);

    /// <summary>Two images, normalised: the first red on the left half and green on the right, the second all blue.</summary>
    internal static float[] Images()
    {
        var images = new float[2 * 3 * Size * Size];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var at = y * Size + x;
                images[(x < Size / 2 ? 0 : 1) * Size * Size + at] = 1;
                images[3 * Size * Size + 2 * Size * Size + at] = 1;
            }
        }
        return images;
    }

    [Fact]
    public void Explain_GivesOneMapPerTarget_ForEveryImageOfABatch()
    {
        var results = CamEngine.Explain(model, "colour", Images(), 2, ExplanationTarget.ParseList("red,green"),
            [new GradCam()]);

        Assert.Equal(2, results.Count);
        var first = results[0];
        Assert.Equal(["red", "green"], first.Maps.Select(m => m.Target.Label));
        // Red evidence lies in the left columns of the 4×4 map, green in the right ones.
        Assert.True(first.Maps[0].Map.Data[0] > 0 && first.Maps[0].Map.Data[3] == 0);
        Assert.True(first.Maps[1].Map.Data[3] > 0 && first.Maps[1].Map.Data[0] == 0);
        Assert.Equal("blue", results[1].Predictions[0].Label);
    }

    [Fact]
    public void Explain_MapsOfSeveralTargets_EqualOneTargetAtATime()
    {
        var images = Images();
        var both = CamEngine.Explain(model, "colour", images, 2, [new(0, null), ExplanationTarget.TopOne], [new GradCam()]);
        for (var n = 0; n < 2; n++)
        {
            var red = CamEngine.Explain(model, "colour", images.AsMemory(n * 3 * Size * Size, 3 * Size * Size), 1, [new(0, null)], [new GradCam()])[0];
            var top = CamEngine.Explain(model, "colour", images.AsMemory(n * 3 * Size * Size, 3 * Size * Size), 1, ExplanationTarget.TopOneOnly, [new GradCam()])[0];
            Assert.Equal(red.Maps[0].Map.Data, both[n].Maps[0].Map.Data);
            Assert.Equal(top.Maps[0].Map.Data, both[n].Maps[1].Map.Data);
            Assert.Equal(top.Predictions[0].Index, both[n].Maps[1].Target.Index);
        }
    }

    [Theory]
    [InlineData("4", "out of range")]
    [InlineData("purple", "no class labelled 'purple'")]
    public void Explain_RefusesTargetsTheModelLacks(string target, string expected)
    {
        var thrown = Assert.Throws<TargetException>(() =>
            CamEngine.Explain(model, "colour", Images(), 1, ExplanationTarget.ParseList(target), [new GradCam()]));
        Assert.Contains(expected, thrown.Message);
    }

    [Fact]
    public void Explain_StopsWhenCancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            CamEngine.Explain(model, "colour", Images(), 2, ExplanationTarget.TopOneOnly, [new GradCam()], cancellationToken: cancelled.Token));
    }

    [Fact]
    public void Forward_GivesTheLogitsOfTheCamReadyRun()
    {
        var images = Images();
        var logits = new float[2 * TestModels.Labels.Length];
        ((ICamModel)model).Forward(images, 2, logits, CancellationToken.None);
        var explained = CamEngine.Explain(model, "colour", images, 2, ExplanationTarget.TopOneOnly, [new GradCam()]);
        Assert.Equal(explained[1].Maps[0].Target.Score, logits[TestModels.Labels.Length + 2]);
    }

    public void Dispose() => model.Dispose();
}
