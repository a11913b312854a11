using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Tests.CamReady;
using CamService.Onnx.Tests.Support;
using CamService.Testing;
using static CamService.Onnx.Graph.Attributes;

namespace CamService.Onnx.Tests;

/// <summary>Score-CAM masks the image in the model's own layout: an NHWC model and its NCHW twin give the same map.</summary>
public sealed class ScoreCamLayoutTests
{
    const int Height = 6;
    const int Width = 5;

    /// <summary>Conv → Tanh → mean → MatMul, the same weights (drawn in the same order) whichever the layout.</summary>
    static CamReadyModel Model(bool nhwc)
    {
        var g = new TestGraph(opset: 13);
        var image = g.Input("image", nhwc ? [1, Height, Width, 3] : [1, 3, Height, Width]);
        var nchw = nhwc ? g.Node("Transpose", [image], Ints("perm", [0, 3, 1, 2])) : image;
        var activations = g.Node("Tanh", [g.Node("Conv", [nchw, g.Random([4, 3, 3, 3]), g.Random([4])], Ints("pads", [1, 1, 1, 1]))]);
        // The builder finds the layer and its layout by itself, as it does in a TensorFlow export.
        var features = nhwc ? g.Node("Transpose", [activations], Ints("perm", [0, 2, 3, 1])) : activations;
        var pooled = g.Node("ReduceMean", [features], Ints("axes", nhwc ? [1, 2] : [2, 3]), Int("keepdims", 0));
        var plain = g.Output(g.Node("Add", [g.Node("MatMul", [pooled, g.Random([4, 5])]), g.Random([5])])).Build();
        return CamReadyModel.Create(new CamReadyBuilder().Prepare(plain).Model, new ExecutionSettings());
    }

    [Fact]
    public void NhwcModel_GivesTheMapOfItsNchwTwin()
    {
        using var nchwModel = Model(nhwc: false);
        using var nhwcModel = Model(nhwc: true);
        var nchw = SmallClassifiers.RandomImage([1, 3, Height, Width], seed: 5);
        var nhwc = new float[nchw.Length];
        for (var c = 0; c < 3; c++)
        {
            for (var p = 0; p < Height * Width; p++)
            {
                nhwc[3 * p + c] = nchw[c * Height * Width + p];
            }
        }
        var settings = new ExplainSettings { Methods = MethodOptions.Default with { BatchSize = 3 } };

        var expected = CamEngine.Explain(nchwModel, "nchw", nchw, 1, ExplanationTarget.TopOneOnly, [new ScoreCam()], settings)[0].Maps[0];
        var actual = CamEngine.Explain(nhwcModel, "nhwc", nhwc, 1, ExplanationTarget.TopOneOnly, [new ScoreCam()], settings)[0].Maps[0];

        Assert.True(nhwcModel.Preprocessing.ChannelsLast);
        Assert.Equal(expected.Target.Index, actual.Target.Index);
        Compare.Close(actual.Map.Data, expected.Map.Data, 1e-5, "Score-CAM map");
    }
}
