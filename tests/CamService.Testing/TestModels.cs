using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Testing;

/// <summary>
/// Tiny classifiers whose evidence is known: each class is one colour channel, so a Grad-CAM for
/// "red" lights exactly where the image is red. Built as plain ONNX in code and made CAM-ready with
/// the real builder.
/// </summary>
public static class TestModels
{
    /// <summary>The classes of every colour model, in index order.</summary>
    public static readonly string[] Labels = ["red", "green", "blue", "dark"];

    public const int Red = 0;

    /// <summary>
    /// image [N,3,S,S] → 1×1 conv (R, G, B, darkness) → ReLU → 4×4 average pool → global average
    /// pool → Gemm: logit_c = mean of channel c. Pixels are normalised with mean 0.5 and std 0.5,
    /// so black is −1 and a pure colour +1.
    /// </summary>
    /// <param name="logitScale">Multiplies the classifier's weights: 500 gives logits in the hundreds, as
    /// untrained or distilled models have; NaN gives a model that yields NaN.</param>
    /// <param name="evidenceThreshold">Subtracted from each channel before the ReLU (a convolution bias): with 0.5, a pure
    /// colour is evidence and the same colour blurred into its surroundings is not, as the faithfulness tests need.</param>
    public static ModelProto ColourClassifier(int size, string family = "TestNet", WeightsKind weights = WeightsKind.Custom, float logitScale = 1,
        float evidenceThreshold = 0)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "CamService.Testing", Graph = new GraphProto { Name = "colour" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        var graph = model.Graph;

        graph.Input.Add(Value("image", DataType.Float, Batch(), Fixed(3), Fixed(size), Fixed(size)));
        graph.Output.Add(Value("scores", DataType.Float, Batch(), Fixed(Labels.Length)));

        // Channels: R, G, B and darkness = -(R + G + B) / 3.
        float third = -1f / 3;
        graph.Initializer.Add(Tensors.Floating("conv.weight", DataType.Float, [4, 3, 1, 1],
            [1, 0, 0, 0, 1, 0, 0, 0, 1, third, third, third]));
        graph.Initializer.Add(Tensors.Floating("fc.weight", DataType.Float, [4, 4],
            [logitScale, 0, 0, 0, 0, logitScale, 0, 0, 0, 0, logitScale, 0, 0, 0, 0, logitScale]));
        graph.Initializer.Add(Tensors.Floating("fc.bias", DataType.Float, [4], [0, 0, 0, 0]));

        if (evidenceThreshold != 0)
        {
            graph.Initializer.Add(Tensors.Floating("conv.bias", DataType.Float, [4], [.. Enumerable.Repeat(-evidenceThreshold, 4)]));
        }
        graph.Node.Add(Node("Conv", evidenceThreshold != 0 ? ["image", "conv.weight", "conv.bias"] : ["image", "conv.weight"], "colours"));
        graph.Node.Add(Node("Relu", ["colours"], "evidence"));
        graph.Node.Add(Node("AveragePool", ["evidence"], "features",
            Attributes.Ints("kernel_shape", [4, 4]), Attributes.Ints("strides", [4, 4])));
        graph.Node.Add(Node("GlobalAveragePool", ["features"], "pooled"));
        graph.Node.Add(Node("Flatten", ["pooled"], "flat"));
        graph.Node.Add(Node("Gemm", ["flat", "fc.weight", "fc.bias"], "scores", Attributes.Int("transB", 1)));

        var info = new CamModelInfo
        {
            Architecture = $"colournet{size}",
            Family = family,
            Weights = weights,
            WeightsSource = "hand-set weights: one class per colour channel",
            Labels = Labels,
            Preprocessing = new Preprocessing(size, size, size + size / 4, Interpolation.Bilinear, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f], ChannelOrder.Rgb, 1f / 255, TensorLayout.Nchw),
        };
        info.WriteTo(model);
        return model;
    }

    /// <summary>Writes a CAM-ready colour model to <paramref name="directory"/>/<paramref name="id"/>.onnx.</summary>
    public static string WriteCamReady(string directory, string id, int size, string family = "TestNet", WeightsKind weights = WeightsKind.Custom,
        float logitScale = 1)
    {
        var path = Path.Combine(directory, $"{id}.onnx");
        OnnxModelFile.Save(new CamReadyBuilder().Prepare(ColourClassifier(size, family, weights, logitScale)).Model, path);
        return path;
    }

    /// <summary>Gives a model file the metadata of published weights: their name and ImageNet accuracy, with the weights it has.</summary>
    public static void SetPublishedAccuracy(string path, WeightsKind weights, double top1, double top5)
    {
        var model = OnnxModelFile.Load(path);
        (CamModelInfo.Read(model) with { Weights = weights, AccuracyTop1 = top1, AccuracyTop5 = top5, WeightsName = "Test_Weights.IMAGENET1K_V1" }).WriteTo(model);
        OnnxModelFile.Save(model, path);
    }

    /// <summary>
    /// A classifier that takes its time: a stem and <paramref name="layers"/> 3×3 convolutions of
    /// 32 channels at the full <paramref name="size"/>, then the colour head. The work is spread over
    /// many operators, so a run can be stopped between them (ONNX Runtime checks its terminate flag
    /// there) — for tests of deadlines, cancellation and shutdown with a run really in progress.
    /// </summary>
    public static ModelProto SlowClassifier(int size, int layers)
    {
        const int channels = 32;
        var model = ColourClassifier(size, family: "SlowNet");
        var graph = model.Graph;
        var head = graph.Node.Single(n => n.OpType == "Conv");
        var random = new Random(7);
        float[] Weights(int outputs, int inputs)
        {
            // He initialisation keeps the activations' scale through the ReLUs.
            var scale = MathF.Sqrt(2f / (inputs * 9));
            return Enumerable.Range(0, outputs * inputs * 9).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale * MathF.Sqrt(3)).ToArray();
        }
        var previous = "image";
        for (var i = 0; i <= layers; i++)
        {
            var inputs = i == 0 ? 3 : channels;
            graph.Initializer.Add(Tensors.Floating($"slow{i}.weight", DataType.Float, [channels, inputs, 3, 3], Weights(channels, inputs)));
            graph.Node.Insert(graph.Node.IndexOf(head), Node("Conv", [previous, $"slow{i}.weight"], $"slow{i}.conv", Attributes.Ints("pads", [1, 1, 1, 1])));
            graph.Node.Insert(graph.Node.IndexOf(head), Node("Relu", [$"slow{i}.conv"], $"slow{i}"));
            previous = $"slow{i}";
        }
        // The colour head reads the first three channels of the last slow layer as R, G and B.
        graph.Initializer.Remove(graph.Initializer.Single(t => t.Name == "conv.weight"));
        var headWeights = new float[4 * channels];
        for (var c = 0; c < 3; c++)
        {
            headWeights[c * channels + c] = 1;
            headWeights[3 * channels + c] = -1f / 3;
        }
        graph.Initializer.Add(Tensors.Floating("conv.weight", DataType.Float, [4, channels, 1, 1], headWeights));
        head.Input[0] = previous;
        (CamModelInfo.Read(model) with { Architecture = $"slownet{size}x{layers}" }).WriteTo(model);
        return model;
    }

    /// <summary>Writes the CAM-ready <see cref="SlowClassifier"/>.</summary>
    public static string WriteSlowCamReady(string directory, string id, int size, int layers)
    {
        var path = Path.Combine(directory, $"{id}.onnx");
        OnnxModelFile.Save(new CamReadyBuilder().Prepare(SlowClassifier(size, layers)).Model, path);
        return path;
    }

    /// <summary>Writes the plain (not CAM-ready) colour model, for the service to prepare at start-up.</summary>
    public static string WritePlain(string directory, string id, int size)
    {
        var path = Path.Combine(directory, $"{id}.onnx");
        OnnxModelFile.Save(ColourClassifier(size), path);
        return path;
    }

    /// <summary>Writes a file that is not an ONNX model at all.</summary>
    public static string WriteBroken(string directory, string id)
    {
        var path = Path.Combine(directory, $"{id}.onnx");
        File.WriteAllText(path, "this is not an ONNX model");
        return path;
    }

    static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    static TensorShapeProto.Types.Dimension Batch() => new() { DimParam = "batch" };

    static TensorShapeProto.Types.Dimension Fixed(long value) => new() { DimValue = value };

    static ValueInfoProto Value(string name, DataType type, params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims);
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
