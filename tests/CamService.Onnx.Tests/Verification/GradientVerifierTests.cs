using CamService.Inference.Verification;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Tests.CamReady;
using CamService.Onnx.Tests.Gradients;
using CamService.Onnx.Tests.Support;
using CamService.Testing;
using Onnx;
using static CamService.Onnx.Graph.Attributes;
using static CamService.Testing.SmallClassifiers;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.Tests.Verification;

/// <summary>The finite-difference verifier behind 'camservice verify': no false alarms, no missed errors.</summary>
public sealed class GradientVerifierTests
{
    const int Seeds = 20;

    [Fact]
    public void Verify_CorrectGradients_PassForEverySeed()
    {
        var model = new CamReadyBuilder().Prepare(ResidualClassifier()).Model;

        var failures = Enumerable.Range(0, Seeds)
            .Select(seed => (Seed: seed, Report: GradientVerifier.Verify(model, new VerifyOptions { Seed = seed })))
            .Where(r => !r.Report.Passed)
            .Select(r => $"seed {r.Seed}: {r.Report.WorstRelativeError:E2}")
            .ToList();

        Assert.True(failures.Count == 0, $"A correct model failed verification: {string.Join("; ", failures)}");
    }

    [Fact]
    public void Verify_GradientsScaledByTenPercent_FailForEverySeed()
    {
        var model = ScaleGradients(new CamReadyBuilder().Prepare(ResidualClassifier()).Model, 1.1f);

        var passes = Enumerable.Range(0, Seeds).Where(seed => GradientVerifier.Verify(model, new VerifyOptions { Seed = seed }).Passed).ToList();

        Assert.True(passes.Count == 0, $"Wrong gradients passed verification with seeds {string.Join(", ", passes)}");
    }

    /// <summary>
    /// AlexNet's and VGG's head: two wide ReLU layers. Along a random direction some unit's kink lies closer than any step
    /// float32 resolves, so the head is evaluated in doubles with tiny steps: correct gradients pass, and wrong ones still fail.
    /// </summary>
    [Fact]
    public void Verify_WideReluHead_InDoubles_PassesCorrectAndFailsWrongGradients()
    {
        var g = new TestGraph();
        var x = new FeatureMap(g.Input("x", [2, 8, 6, 6]), 8, 6, 6);
        var hidden = g.Node("Relu", [g.Node("Gemm", [g.Node("Flatten", [x]), g.Random([1024, 8 * 36]), g.Random([1024])], Int("transB", 1))]);
        hidden = g.Node("Relu", [g.Node("Gemm", [hidden, g.Random([1024, 1024], -0.1f, 0.1f), g.Random([1024])], Int("transB", 1))]);
        var scores = g.Node("Gemm", [hidden, g.Random([Classes, 1024], -0.1f, 0.1f), g.Random([Classes])], Int("transB", 1));
        var model = new CamReadyBuilder().Prepare(g.Output(scores).Build(), new PrepareOptions { TargetLayer = x }).Model;

        var reports = Enumerable.Range(0, 5).Select(seed => GradientVerifier.Verify(model, new VerifyOptions { Seed = seed, ImageSize = 6 })).ToList();
        var wrong = Enumerable.Range(0, 5).Select(seed => GradientVerifier.Verify(ScaleGradients(model, 1.1f), new VerifyOptions { Seed = seed, ImageSize = 6 })).ToList();

        Assert.All(reports, report => Assert.True(report.InDoubles && report.Passed, $"worst relative error {report.WorstRelativeError:E2}"));
        Assert.All(wrong, report => Assert.False(report.Passed));
    }

    /// <summary>
    /// A transformer MLP's GELU, x · (1 + erf(x / √2)) / 2: ONNX Runtime has no double Erf, so the verifier evaluates it from
    /// its series. The head then runs in doubles: the finite differences meet the float32 gradient to its own rounding, far
    /// inside the tolerance, and wrong gradients still fail.
    /// </summary>
    [Fact]
    public void Verify_GeluHead_InDoubles_ThroughTheErfSeries()
    {
        var g = new TestGraph();
        var x = new FeatureMap(g.Input("x", [2, 8, 4, 4]), 8, 4, 4);
        var projected = g.Node("Gemm", [g.Node("Flatten", [x]), g.Random([64, 8 * 16]), g.Random([64])], Int("transB", 1));
        var erf = g.Node("Erf", [g.Node("Div", [projected, g.Scalar(MathF.Sqrt(2))])]);
        var gelu = g.Node("Mul", [g.Node("Mul", [projected, g.Node("Add", [erf, g.Scalar(1)])]), g.Scalar(0.5f)]);
        var scores = g.Node("Gemm", [gelu, g.Random([Classes, 64]), g.Random([Classes])], Int("transB", 1));
        var model = new CamReadyBuilder().Prepare(g.Output(scores).Build(), new PrepareOptions { TargetLayer = x }).Model;

        var report = GradientVerifier.Verify(model, new VerifyOptions { ImageSize = 4 });
        var wrong = GradientVerifier.Verify(ScaleGradients(model, 1.1f), new VerifyOptions { ImageSize = 4 });

        Assert.True(report.InDoubles, report.FloatReason);
        Assert.True(report.WorstRelativeError < 1e-4, $"worst relative error {report.WorstRelativeError:E2}");
        Assert.False(wrong.Passed);
    }

    /// <summary>
    /// Random weights can shrink a deep net's activations to 1e-12 (GoogLeNet's): steps relative to them would move the scores
    /// by less than their float32 rounding. A step sized by the scores' rounding still resolves them, and wrong gradients fail.
    /// </summary>
    [Fact]
    public void Verify_TinyActivations_StepIsSizedByTheScoresRounding()
    {
        var g = new TestGraph();
        var image = g.Input("image", [2, 3, 6, 6]);
        var tiny = g.Node("Mul", [g.Node("Conv", [image, g.Random([8, 3, 3, 3])], Ints("pads", [1, 1, 1, 1])), g.Scalar(1e-12f)]);
        var scores = g.Node("Gemm", [g.Node("Flatten", [g.Node("GlobalAveragePool", [tiny])]), g.Random([Classes, 8], -1e9f, 1e9f),
            g.Random([Classes])], Int("transB", 1));
        var model = new CamReadyBuilder().Prepare(g.Output(scores).Build(), new PrepareOptions { TargetLayer = tiny }).Model;

        var report = GradientVerifier.Verify(model, new VerifyOptions { ImageSize = 6 });
        var wrong = GradientVerifier.Verify(ScaleGradients(model, 1.1f), new VerifyOptions { ImageSize = 6 });

        Assert.True(report.Passed, $"worst relative error {report.WorstRelativeError:E2}");
        Assert.All(report.Checks, check => Assert.NotEqual(0, check.Numeric));
        Assert.False(wrong.Passed);
    }

    /// <summary>image → Conv → Tanh → (Conv → Tanh) + skip → GlobalAveragePool → Gemm → Softmax.</summary>
    static ModelProto ResidualClassifier()
    {
        var g = new TestGraph();
        var image = g.Input("image", [2, 3, 6, 5]);
        var stem = g.Node("Tanh", [g.Node("Conv", [image, g.Random([4, 3, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var block = g.Node("Tanh", [g.Node("Conv", [stem, g.Random([4, 4, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var scores = PooledHead(g, g.Node("Add", [block, stem]), 4);
        return g.Output(g.Node("Softmax", [scores], Int("axis", 1))).Build();
    }
}
