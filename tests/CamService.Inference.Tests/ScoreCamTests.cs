using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Testing;

namespace CamService.Inference.Tests;

/// <summary>Score-CAM on the colour model (activations: R, G, B and darkness, 4×4).</summary>
public sealed class ScoreCamTests : IDisposable
{
    const int Size = 16;
    readonly CamReadyModel model = ColourModel.Load(Size);

    /// <summary>The engine tests' two images: the first red on the left half and green on the right, the second all blue.</summary>
    static float[] Images() => CamEngineTests.Images();

    IReadOnlyList<ImageExplanation> Explain(MethodOptions options, CancellationToken cancellationToken = default) =>
        CamEngine.Explain(model, "colour", Images(), 2, [new(TestModels.Red, null)], [new ScoreCam()], new ExplainSettings { Methods = options },
            cancellationToken);

    /// <summary>
    /// All blue: every channel is constant, so every mask is 0 (the ε keeps that finite), every masked image
    /// black, every score the same, and each channel weighs ¼: the map is a quarter of the blue channel.
    /// </summary>
    [Fact]
    public void ConstantChannels_WeighTheSame()
    {
        var map = Explain(MethodOptions.Default with { ScoreCamChannels = 0 })[1].Maps[0].Map.Data;

        Assert.All(map, value => Assert.Equal(0.25f, value, 1e-6f));
    }

    /// <summary>One channel gets all the weight: the most active one (red and green tie at ½; the lower index wins).</summary>
    [Fact]
    public void TopOneChannel_IsTheMostActiveChannel()
    {
        var results = Explain(MethodOptions.Default with { ScoreCamChannels = 1 });

        Assert.Equal([1f, 1, 0, 0], results[0].Maps[0].Map.Data[..4]);
        Assert.All(results[1].Maps[0].Map.Data, value => Assert.Equal(1f, value));
    }

    [Fact]
    public void AllChannels_TheSameInAnyBatchSize_AndAsTopNOfAll()
    {
        var all = Explain(MethodOptions.Default with { ScoreCamChannels = 0 });
        var oneByOne = Explain(MethodOptions.Default with { ScoreCamChannels = 0, BatchSize = 1 });
        var topFour = Explain(MethodOptions.Default with { ScoreCamChannels = 4, BatchSize = 3 });

        for (var n = 0; n < 2; n++)
        {
            Assert.Equal(all[n].Maps[0].Map.Data, oneByOne[n].Maps[0].Map.Data, new FloatTolerance(1e-6f));
            Assert.Equal(all[n].Maps[0].Map.Data, topFour[n].Maps[0].Map.Data, new FloatTolerance(1e-6f));
        }
        // Red evidence on the left: red's own mask scores highest for red.
        Assert.True(all[0].Maps[0].Map.Data[0] > all[0].Maps[0].Map.Data[3]);
    }

    [Fact]
    public void Forwards_StopWhenCancelled()
    {
        using var outputs = model.Run(Images(), 1, new long[] { TestModels.Red }, 1);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var map = new float[16];

        Assert.ThrowsAny<OperationCanceledException>(() => new ScoreCam().Compute(
            new CamContext(outputs.ActivationsOf(0), default, outputs.Channels, outputs.Height, outputs.Width, TestModels.Red,
                outputs.LogitsOf(0), Images().AsSpan(0, 3 * Size * Size), model, MethodOptions.Default with { BatchSize = 1 }, cancelled.Token), map));
    }

    public void Dispose() => model.Dispose();
}
