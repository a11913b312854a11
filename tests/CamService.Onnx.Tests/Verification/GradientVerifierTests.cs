using CamService.Inference.Verification;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Tests.CamReady;
using CamService.Onnx.Tests.Gradients;
using CamService.Onnx.Tests.Support;
using Onnx;
using static CamService.Onnx.Graph.Attributes;
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

    /// <summary>Makes the <c>gradients</c> output <paramref name="factor"/> times the true gradients.</summary>
    internal static ModelProto ScaleGradients(ModelProto camReady, float factor)
    {
        var model = camReady.Clone();
        var producer = model.Graph.Node.Single(n => n.Output.Contains(CamReadyContract.Gradients));
        producer.Output[producer.Output.IndexOf(CamReadyContract.Gradients)] = "gradients_unscaled";
        model.Graph.Initializer.Add(Tensors.Floating("gradients_factor", DataType.Float, [], [factor]));
        model.Graph.Node.Add(new NodeProto
        {
            OpType = "Mul",
            Name = "scale_gradients",
            Input = { "gradients_unscaled", "gradients_factor" },
            Output = { CamReadyContract.Gradients },
        });
        return model;
    }

    /// <summary>image → Conv → Tanh → (Conv → Tanh) + skip → GlobalAveragePool → Gemm → Softmax.</summary>
    static ModelProto ResidualClassifier()
    {
        var g = new TestGraph();
        var image = g.Input("image", [2, 3, 6, 5]);
        var stem = g.Node("Tanh", [g.Node("Conv", [image, g.Random([4, 3, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var block = g.Node("Tanh", [g.Node("Conv", [stem, g.Random([4, 4, 3, 3])], Ints("pads", [1, 1, 1, 1]))]);
        var scores = GradientCases.PooledHead(g, g.Node("Add", [block, stem]), 4);
        return g.Output(g.Node("Softmax", [scores], Int("axis", 1))).Build();
    }
}
