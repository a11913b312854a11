using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Tests.CamReady;
using CamService.Onnx.Tests.Gradients;
using CamService.Onnx.Tests.Support;
using static CamService.Onnx.Graph.Attributes;

namespace CamService.Onnx.Tests.Runtime;

/// <summary>The head alone (target layer → logits): its session, its linearity, and models that cannot have one.</summary>
public sealed class HeadSessionTests
{
    const int Height = 6;
    const int Width = 5;

    /// <summary>The head evaluated on the activations of a run gives that run's logits.</summary>
    static void AssertHeadGivesTheLogits(CamReadyModel model, long[] imageShape)
    {
        var batch = (int)imageShape[0];
        using var outputs = model.Run(CamReadyBuilderTests.Image(imageShape, seed: 3), batch, Enumerable.Repeat(-1L, batch).ToArray(), 1);
        var logits = new float[outputs.Logits.Length];

        model.EvaluateHead(outputs.Activations.ToArray(), batch, logits, CancellationToken.None);

        Compare.Close(logits, outputs.Logits, 1e-5, "head logits");
    }

    /// <summary>A TensorFlow-style model whose target layer is NHWC: the head takes [N, K, h, w] all the same.</summary>
    [Fact]
    public void NhwcTarget_HeadTakesTheActivationsLayout()
    {
        var (g, _, scores) = CamReadyBuilderTests.NhwcTensorFlowStyle(classes: 5);
        var plain = g.Output(scores).Build();
        using var model = CamReadyModel.Create(new CamReadyBuilder().Prepare(plain).Model, new ExecutionSettings());

        Assert.True(model.HeadIsLinear);
        AssertHeadGivesTheLogits(model, [2, Height, Width, 3]);
    }

    [Fact]
    public void NonLinearHead_IsEvaluated_ButNotLinear()
    {
        var g = new TestGraph();
        var x = new FeatureMap(g.Input("x", [2, 3, Height, Width]), 3, Height, Width);
        var features = g.Node("Tanh", [g.Node("Conv", [x, g.Random([4, 3, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var plain = g.Output(g.Node("Tanh", [GradientCases.PooledHead(g, features, 4)])).Build();
        using var model = CamReadyModel.Create(new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = features }).Model, new ExecutionSettings());

        Assert.False(model.HeadIsLinear);
        AssertHeadGivesTheLogits(model, [2, 3, Height, Width]);
    }

    /// <summary>torch's view(N, −1) computes its shape from the activations' Shape: that does not make the head non-linear.</summary>
    [Fact]
    public void ShapeComputedFromTheActivations_KeepsTheHeadLinear()
    {
        var g = new TestGraph();
        var x = g.Input("x", [2, 3, Height, Width]);
        var features = g.Node("Tanh", [g.Node("Conv", [x, g.Random([4, 3, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var pooled = g.Node("GlobalAveragePool", [features]);
        var batch = g.Node("Unsqueeze", [g.Node("Gather", [g.Node("Shape", [pooled]), g.Int(0)]), g.Ints(0)]);
        var flat = g.Node("Reshape", [pooled, g.Node("Concat", [batch, g.Ints(-1)], Int("axis", 0))]);
        var plain = g.Output(g.Node("Gemm", [flat, g.Random([5, 4]), g.Random([5])], Int("transB", 1))).Build();
        using var model = CamReadyModel.Create(new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = features }).Model, new ExecutionSettings());

        Assert.True(model.HeadIsLinear);
        AssertHeadGivesTheLogits(model, [2, 3, Height, Width]);
    }

    /// <summary>
    /// A target inside a residual block: the head also reads the skip connection. The model loads and serves
    /// one-pass methods; a head-only method is refused before the run, naming method, model and reason.
    /// </summary>
    [Fact]
    public void HeadWithSideInputs_LoadsWithoutHead_AndRefusesHeadOnlyMethods()
    {
        var g = new TestGraph();
        var image = g.Input("image", [1, 3, Height, Width]);
        var stem = g.Node("Tanh", [g.Node("Conv", [image, g.Random([4, 3, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var block = g.Node("Tanh", [g.Node("Conv", [stem, g.Random([4, 4, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var plain = g.Output(GradientCases.PooledHead(g, g.Node("Add", [block, stem]), 4)).Build();
        var camReady = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = block }).Model;
        var warnings = new List<string>();
        using var model = CamReadyModel.Create(camReady, new ExecutionSettings(), warn: warnings.Add);

        Assert.Contains(stem, model.HeadUnavailable);
        Assert.Contains(warnings, w => w.Contains(stem));
        Assert.False(model.HeadIsLinear);
        Assert.Throws<NotSupportedException>(() => model.EvaluateHead(new float[4 * Height * Width], 1, new float[5], CancellationToken.None));
        var images = CamReadyBuilderTests.Image([1, 3, Height, Width], seed: 4);
        Assert.Single(CamEngine.Explain(model, "residual", images, 1, ExplanationTarget.TopOneOnly, [new GradCam()]));
        var refused = Assert.Throws<MethodUnavailableException>(() =>
            CamEngine.Explain(model, "residual", images, 1, ExplanationTarget.TopOneOnly, [new GradCam(), new AblationCam()]));
        Assert.Equal(("ablationcam", "residual"), (refused.Method, refused.Model));
        Assert.Contains(stem, refused.Reason);
    }
}
