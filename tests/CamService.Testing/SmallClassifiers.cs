using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using Onnx;
using static CamService.Onnx.Graph.Attributes;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Testing;

/// <summary>
/// Classifiers and heads of a few nodes built with <see cref="TestGraph"/>, random images to run them on, and a
/// CAM-ready model made wrong on purpose: what the gradient, runtime and command line tests build their cases from.
/// </summary>
public static class SmallClassifiers
{
    /// <summary>How many classes every head here scores.</summary>
    public const int Classes = 5;

    /// <summary>The height and width of the images the small classifiers take: neither square nor a power of two.</summary>
    public const int Height = 6;

    public const int Width = 5;

    /// <summary>GlobalAveragePool, Flatten and Gemm: the classifier of most CNNs.</summary>
    public static string PooledHead(TestGraph g, string features, long channels) =>
        Classifier(g, g.Node("Flatten", [g.Node("GlobalAveragePool", [features])]), channels);

    /// <summary>Flatten and Gemm: every position has a weight of its own, so a misplaced gradient shows.</summary>
    public static string FlatHead(TestGraph g, string features, long count) =>
        Classifier(g, g.Node("Flatten", [features], Int("axis", 1)), count);

    /// <summary>Gemm from [N, <paramref name="count"/>] features to [N, <see cref="Classes"/>] scores.</summary>
    public static string Classifier(TestGraph g, string features, long count) =>
        g.Node("Gemm", [features, g.Random([Classes, count]), g.Random([Classes])], Int("transB", 1));

    /// <summary>image [2, 3, H, W] → Conv 3x3 → Tanh → GlobalAveragePool → Flatten → Gemm → Softmax.</summary>
    public static (ModelProto Model, string Image, string Scores) SmallClassifier()
    {
        var g = new TestGraph();
        var image = g.Input("image", [2, 3, Height, Width]);
        var features = g.Node("Tanh", [g.Node("Conv", [image, g.Random([4, 3, 3, 3]), g.Random([4])], Ints("pads", [1, 1, 1, 1]))]);
        var scores = PooledHead(g, features, 4);
        return (g.Output(g.Node("Softmax", [scores], Int("axis", 1))).Build(), image, scores);
    }

    /// <summary>
    /// A TensorFlow-style export up to its scores: an NHWC image [2, 6, 5, 3] transposed for a convolution, its
    /// features transposed back to NHWC (4 channels), then a mean over height and width and a dense layer.
    /// </summary>
    public static (TestGraph Graph, string Features, string Scores) NhwcTensorFlowStyle(int classes)
    {
        var g = new TestGraph(opset: 13);
        var image = g.Input("image", [2, Height, Width, 3]);
        var nchw = g.Node("Transpose", [image], Ints("perm", [0, 3, 1, 2]));
        var conv = g.Node("Conv", [nchw, g.Random([4, 3, 3, 3]), g.Random([4])], Ints("pads", [1, 1, 1, 1]));
        var features = g.Node("Transpose", [g.Node("Tanh", [conv])], Ints("perm", [0, 2, 3, 1]));
        var pooled = g.Node("ReduceMean", [features], Ints("axes", [1, 2]), Int("keepdims", 0));
        return (g, features, g.Node("Add", [g.Node("MatMul", [pooled, g.Random([4, classes])]), g.Random([classes])]));
    }

    /// <summary>Values drawn uniformly from [−1, 1) for a tensor of <paramref name="shape"/>, the same for the same seed.</summary>
    public static float[] RandomImage(long[] shape, int seed)
    {
        var random = new Random(seed);
        var values = new float[shape.Aggregate((a, b) => a * b)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = 2 * random.NextSingle() - 1;
        }
        return values;
    }

    /// <summary>Makes the <c>gradients</c> output <paramref name="factor"/> times the true gradients.</summary>
    public static ModelProto ScaleGradients(ModelProto camReady, float factor)
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
}
