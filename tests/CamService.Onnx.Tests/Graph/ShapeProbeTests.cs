using System.Text.Json;
using CamService.Onnx.Graph;
using CamService.Testing;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CamService.Onnx.Tests.Graph;

/// <summary>
/// <see cref="ShapeProbe"/> asks for the shapes of a model's tensors in one run, and must not hold them: each Shape has to run
/// as soon as its tensor is made, or a large model keeps every intermediate tensor alive (ViT-H/14 outgrew 24 GB that way).
/// </summary>
public sealed class ShapeProbeTests
{
    /// <summary>
    /// x [N, 3, 8] → Relu → Add x → Sigmoid → MatMul → Softmax → Mul by the Relu → MatMul: every tensor probed, with a branch
    /// read again later and the graph's own output last.
    /// </summary>
    static (ModelProto Model, List<string> Tensors) Chain()
    {
        var g = new TestGraph();
        var x = g.Input("x", 2, 3, 8);
        var relu = g.Node("Relu", [x]);
        var sum = g.Node("Add", [relu, x]);
        var sigmoid = g.Node("Sigmoid", [sum]);
        var projected = g.Node("MatMul", [sigmoid, g.Random([8, 8])]);
        var softmax = g.Node("Softmax", [projected]);
        var gated = g.Node("Mul", [softmax, relu]);
        var scores = g.Node("MatMul", [gated, g.Random([8, 4])]);
        return (g.Output(scores).Build(), [x, relu, sum, sigmoid, projected, softmax, gated, scores]);
    }

    [Fact]
    public void Run_GivesEveryTensorsShape()
    {
        var (model, tensors) = Chain();
        var shapes = ShapeProbe.Run(new GraphIndex(model), tensors, spatialSize: 3);
        Assert.Equal([2, 3, 8], shapes[tensors[0]]);
        Assert.Equal([2, 3, 8], shapes[tensors[^2]]);
        Assert.Equal([2, 3, 4], shapes[tensors[^1]]);
    }

    [Fact]
    public void Probe_RunsEachShapeBeforeTheNextTensorIsMade()
    {
        var (model, tensors) = Chain();
        var graph = new GraphIndex(model);
        var (probe, outputs) = ShapeProbe.ProbeModel(graph, tensors, shapesOnly: true);

        var order = ExecutionOrder(probe, outputs);

        var shapes = probe.Graph.Node.Where(n => n.OpType == "Shape").ToDictionary(n => n.Input[0], n => n.Name);
        Assert.Equal(tensors.Count, shapes.Count);
        for (var i = 0; i + 1 < tensors.Count; i++)
        {
            var next = graph.Producer(tensors[i + 1])!.Name;
            Assert.True(order.IndexOf(shapes[tensors[i]]) < order.IndexOf(next),
                $"the Shape of '{tensors[i]}' runs after '{next}': {string.Join(", ", order)}");
        }
    }

    /// <summary>The nodes in the order ONNX Runtime ran them, from its profile of one run with the probe's own options.</summary>
    static List<string> ExecutionOrder(ModelProto probe, List<string> outputs)
    {
        var directory = Directory.CreateTempSubdirectory("shape-probe-");
        try
        {
            using var options = ShapeProbe.Options();
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = Path.Combine(directory.FullName, "probe");
            using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(probe), options);
            using var input = OrtValue.CreateTensorValueFromMemory(new float[2 * 3 * 8], [2, 3, 8]);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, ["x"], [input], outputs);
            var profile = session.EndProfiling();
            using var json = JsonDocument.Parse(File.ReadAllText(profile));
            const string suffix = "_kernel_time";
            return json.RootElement.EnumerateArray()
                .Where(e => e.GetProperty("cat").GetString() == "Node")
                .Select(e => e.GetProperty("name").GetString()!)
                .Where(name => name.EndsWith(suffix, StringComparison.Ordinal))
                .Select(name => name[..^suffix.Length])
                .ToList();
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
