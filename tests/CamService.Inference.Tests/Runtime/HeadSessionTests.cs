using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Testing;
using static CamService.Onnx.Graph.Attributes;
using static CamService.Testing.SmallClassifiers;

namespace CamService.Inference.Tests.Runtime;

/// <summary>The head alone (target layer → logits): its session, its linearity, and models that cannot have one.</summary>
public sealed class HeadSessionTests
{
    /// <summary>The head evaluated on the activations of a run gives that run's logits.</summary>
    static void AssertHeadGivesTheLogits(CamReadyModel model, long[] imageShape)
    {
        var batch = (int)imageShape[0];
        using var outputs = model.Run(RandomImage(imageShape, seed: 3), batch, Enumerable.Repeat(-1L, batch).ToArray(), 1);
        var logits = new float[outputs.Logits.Length];

        model.EvaluateHead(outputs.Activations.ToArray(), batch, logits, CancellationToken.None);

        Compare.Close(logits, outputs.Logits, 1e-5, "head logits");
    }

    /// <summary>A TensorFlow-style model whose target layer is NHWC: the head takes [N, K, h, w] all the same.</summary>
    [Fact]
    public void NhwcTarget_HeadTakesTheActivationsLayout()
    {
        var (g, _, scores) = NhwcTensorFlowStyle(classes: 5);
        var plain = g.Output(scores).Build();
        using var model = CamReadyModel.Create(new CamReadyBuilder().Prepare(plain).Model, new ExecutionSettings());

        Assert.True(model.HeadIsLinear);
        AssertHeadGivesTheLogits(model, [2, Height, Width, 3]);
    }

    [Fact]
    public void NonLinearHead_IsEvaluated_ButNotLinear()
    {
        var g = new TestGraph();
        var x = g.Input("x", [2, 3, Height, Width]);
        var features = g.Node("Tanh", [g.Node("Conv", [x, g.Random([4, 3, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var plain = g.Output(g.Node("Tanh", [PooledHead(g, features, 4)])).Build();
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
    /// A target inside a residual block: the head also reads the skip connection, as a transformer block's head reads its
    /// residual. The model outputs it for the head, which each image evaluates with its own; the head is affine in the target,
    /// so Ablation-CAM's score drops from head runs (the general path) must equal Σ ∂y/∂A_k · A_k from the gradients.
    /// </summary>
    [Fact]
    public void HeadWithSideInputs_IsEvaluatedWithEachImagesOwn()
    {
        var g = new TestGraph();
        var image = g.Input("image", [2, 3, Height, Width]);
        var stem = g.Node("Tanh", [g.Node("Conv", [image, g.Random([4, 3, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var block = g.Node("Tanh", [g.Node("Conv", [stem, g.Random([4, 4, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var plain = g.Output(PooledHead(g, g.Node("Add", [block, stem]), 4)).Build();
        var camReady = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = block }).Model;
        using var model = CamReadyModel.Create(camReady, new ExecutionSettings());

        Assert.Null(model.HeadUnavailable);
        Assert.False(model.HeadIsLinear);
        var images = RandomImage([2, 3, Height, Width], seed: 4);
        using var outputs = model.Run(images, 2, new long[] { -1, -1 }, 1, headInputs: true);
        for (var n = 0; n < 2; n++)
        {
            using var own = model.ForImage(model, outputs, n);
            var logits = new float[5];
            own.EvaluateHead(outputs.ActivationsOf(n).ToArray(), 1, logits, CancellationToken.None);
            Compare.Close(logits, outputs.LogitsOf(n), 1e-5, $"image {n}'s head logits");
        }

        var explained = CamEngine.Explain(model, "residual", images, 2, ExplanationTarget.TopOneOnly, [new AblationCam()]);
        var positions = Height * Width;
        for (var n = 0; n < 2; n++)
        {
            var activations = outputs.ActivationsOf(n);
            var gradients = outputs.GradientsOf(n, 0);
            var score = outputs.LogitsOf(n)[explained[n].Maps[0].Target.Index];
            var expected = new float[positions];
            for (var k = 0; k < 4; k++)
            {
                var weight = System.Numerics.Tensors.TensorPrimitives.Dot(gradients.Slice(k * positions, positions), activations.Slice(k * positions, positions)) / score;
                for (var i = 0; i < positions; i++)
                {
                    expected[i] += weight * activations[k * positions + i];
                }
            }
            Compare.Close(explained[n].Maps[0].Map.Data, expected.Select(v => Math.Max(v, 0f)).ToArray(), 1e-4, $"image {n}'s Ablation-CAM map");
        }
    }

    /// <summary>A model prepared before heads' side inputs were outputs loads without a head, and refuses head-only methods clearly.</summary>
    [Fact]
    public void HeadWithSideInputsTheModelDoesNotOutput_RefusesHeadOnlyMethods()
    {
        var g = new TestGraph();
        var image = g.Input("image", [1, 3, Height, Width]);
        var stem = g.Node("Tanh", [g.Node("Conv", [image, g.Random([4, 3, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var block = g.Node("Tanh", [g.Node("Conv", [stem, g.Random([4, 4, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var plain = g.Output(PooledHead(g, g.Node("Add", [block, stem]), 4)).Build();
        var camReady = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = block }).Model;
        var outputs = camReady.Graph.Output.Where(o => o.Name == stem).ToList();
        Assert.Single(outputs);
        camReady.Graph.Output.Remove(outputs[0]);
        var warnings = new List<string>();
        using var model = CamReadyModel.Create(camReady, new ExecutionSettings(), warn: warnings.Add);

        Assert.Contains(stem, model.HeadUnavailable);
        Assert.Contains(warnings, w => w.Contains(stem));
        Assert.Throws<NotSupportedException>(() => model.EvaluateHead(new float[4 * Height * Width], 1, new float[5], CancellationToken.None));
        var images = RandomImage([1, 3, Height, Width], seed: 4);
        Assert.Single(CamEngine.Explain(model, "residual", images, 1, ExplanationTarget.TopOneOnly, [new GradCam()]));
        var refused = Assert.Throws<MethodUnavailableException>(() =>
            CamEngine.Explain(model, "residual", images, 1, ExplanationTarget.TopOneOnly, [new GradCam(), new AblationCam()]));
        Assert.Equal(("ablationcam", "residual"), (refused.Method, refused.Model));
        Assert.Contains(stem, refused.Reason);
    }
}
