using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Testing;
using Onnx;

namespace CamService.Inference.Tests;

/// <summary>
/// Ablation-CAM on the colour model, whose logit c is the mean of activation channel c: zeroing channel c drops
/// logit c by all of itself and no other channel moves it, so the weights are 1 for the target's channel and 0
/// for the rest, and the map is the target's channel.
/// </summary>
public sealed class AblationCamTests : IDisposable
{
    const int Size = 16;
    readonly CamReadyModel linear = ColourModel.Load(Size);
    readonly CamReadyModel squashed = CamReadyModel.Create(new CamReadyBuilder().Prepare(SquashedColourClassifier()).Model, new ExecutionSettings());

    /// <summary>Normalised: red on the left half, green on the right.</summary>
    static float[] Image()
    {
        var image = new float[3 * Size * Size];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                image[(x < Size / 2 ? 0 : 1) * Size * Size + y * Size + x] = 1;
            }
        }
        return image;
    }

    /// <summary>The colour model with a sigmoid between pooling and classifier: logit c = σ(mean of channel c), a head that is not linear.</summary>
    static ModelProto SquashedColourClassifier()
    {
        var model = TestModels.ColourClassifier(Size);
        var gemm = model.Graph.Node.Single(n => n.OpType == "Gemm");
        var sigmoid = new NodeProto { OpType = "Sigmoid", Name = "squashed" };
        sigmoid.Input.Add(gemm.Input[0]);
        sigmoid.Output.Add("squashed");
        gemm.Input[0] = "squashed";
        model.Graph.Node.Insert(model.Graph.Node.IndexOf(gemm), sigmoid);
        return model;
    }

    static MapExplanation Explain(CamReadyModel model, MethodOptions options) =>
        CamEngine.Explain(model, "colour", Image(), 1, [new(TestModels.Red, null)], [new AblationCam()], new ExplainSettings { Methods = options })[0].Maps[0];

    /// <summary>The red channel of the activations: 1 in the left half of the 4×4 map.</summary>
    static float[] RedActivations()
    {
        var map = new float[16];
        for (var i = 0; i < 16; i++)
        {
            map[i] = i % 4 < 2 ? 1 : 0;
        }
        return map;
    }

    [Theory]
    [InlineData(true, 32)]
    [InlineData(false, 32)]
    [InlineData(false, 3)]
    public void LinearHead_MapIsTheTargetsChannel_InClosedFormAndByHeadRuns(bool closedForm, int batchSize)
    {
        Assert.True(linear.HeadIsLinear);

        var map = Explain(linear, MethodOptions.Default with { AblationClosedForm = closedForm, BatchSize = batchSize });

        Assert.Equal(RedActivations(), map.Map.Data, new FloatTolerance(1e-6f));
    }

    /// <summary>σ(0.5) drops to σ(0) when red is zeroed: w = (σ(0.5) − ½) / σ(0.5). The closed form would give σ′(0.5) · 0.5 / σ(0.5), 4 % less.</summary>
    [Fact]
    public void NonLinearHead_RerunsTheHead_EvenWhenTheClosedFormIsAllowed()
    {
        Assert.False(squashed.HeadIsLinear);
        var score = 1 / (1 + MathF.Exp(-0.5f));
        var weight = (score - 0.5f) / score;

        var map = Explain(squashed, MethodOptions.Default);

        Assert.Equal(RedActivations().Select(a => a * weight), map.Map.Data, new FloatTolerance(1e-5f));
    }

    [Fact]
    public void HeadRuns_StopWhenCancelled()
    {
        using var outputs = squashed.Run(Image(), 1, new long[] { TestModels.Red }, 1);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var map = new float[16];

        Assert.ThrowsAny<OperationCanceledException>(() => new AblationCam().Compute(
            new CamContext(outputs.ActivationsOf(0), outputs.GradientsOf(0, 0), outputs.Channels, outputs.Height, outputs.Width, TestModels.Red,
                outputs.LogitsOf(0), Image(), squashed, MethodOptions.Default, cancelled.Token), map));
    }

    public void Dispose()
    {
        linear.Dispose();
        squashed.Dispose();
    }
}

/// <summary>Floats equal within an absolute tolerance.</summary>
public sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

    public int GetHashCode(float obj) => 0;
}
