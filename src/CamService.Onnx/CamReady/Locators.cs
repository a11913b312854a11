using CamService.Onnx.Graph;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.CamReady;

/// <summary>The image input of a classifier: its name, layout and spatial size.</summary>
public sealed record ImageInput(string Name, TensorLayout Layout, int? Height, int? Width, DataType ElementType)
{
    public static ImageInput Find(GraphIndex graph)
    {
        var candidates = graph.DataInputs.ToList();
        if (candidates.Count == 0)
        {
            throw new CamReadyException("The model has no inputs.");
        }
        foreach (var input in candidates)
        {
            if (input.Type?.TensorType is not { Shape.Dim: { Count: 4 } dims } tensor
                || (DataType)tensor.ElemType is not (DataType.Float or DataType.Double or DataType.Float16))
            {
                continue;
            }
            long? Dim(int i) => dims[i].HasDimValue && dims[i].DimValue > 0 ? dims[i].DimValue : null;
            var type = (DataType)tensor.ElemType;
            if (Dim(1) is 1 or 3 || Dim(3) is not (1 or 3))
            {
                return new ImageInput(input.Name, TensorLayout.Nchw, (int?)Dim(2), (int?)Dim(3), type);
            }
            return new ImageInput(input.Name, TensorLayout.Nhwc, (int?)Dim(1), (int?)Dim(2), type);
        }
        throw new CamReadyException(
            $"No input is a 4-D floating-point image tensor; inputs: {string.Join(", ", candidates.Select(c => c.Name))}.");
    }
}

/// <summary>Finds the class scores: the classifier output with a final Softmax/LogSoftmax stepped over.</summary>
public static class ScoresLocator
{
    static readonly HashSet<string> Passive = ["Identity", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Dropout"];

    public static string Find(GraphIndex graph, string output)
    {
        string scores = output;
        var tensor = output;
        while (graph.Producer(tensor) is { } node && node.Input.Count > 0)
        {
            if (node.OpType is "Softmax" or "LogSoftmax")
            {
                scores = node.Input[0];
            }
            else if (!Passive.Contains(node.OpType))
            {
                break;
            }
            tensor = node.Input[0];
        }
        return scores;
    }
}

/// <summary>The target layer chosen automatically, and the layout of its axes.</summary>
public sealed record TargetLayer(string Tensor, TensorLayout Layout, string Reason);

/// <summary>
/// Finds the target layer automatically: walking back from the scores, the 4-D tensor that feeds
/// the global pooling in front of the classifier (GlobalAveragePool, a spatial ReduceMean, or an
/// AveragePool whose output is 1×1), or failing that the 4-D tensor the classifier flattens.
/// </summary>
public static class TargetLayerLocator
{
    public static TargetLayer Find(GraphIndex graph, string scores, Func<IEnumerable<string>, IReadOnlyDictionary<string, long[]>> probe)
    {
        var candidates = Candidates(graph, scores).ToList();
        if (candidates.Count == 0)
        {
            throw new CamReadyException(
                $"No global pooling or flattening of a 4-D tensor was found in front of the scores '{scores}'; name the target layer (--target-layer).");
        }

        var shapes = probe(candidates.SelectMany(c => new[] { c.Node.Input[0], c.Node.Output[0] }));
        foreach (var candidate in candidates)
        {
            var input = shapes[candidate.Node.Input[0]];
            var output = shapes[candidate.Node.Output[0]];
            if (input.Length != 4)
            {
                continue;
            }
            switch (candidate.Node.OpType)
            {
                case "GlobalAveragePool" or "GlobalMaxPool":
                    return new(candidate.Node.Input[0], TensorLayout.Nchw, $"input of {candidate.Node.OpType} '{candidate.Node.Name}'");
                case "ReduceMean":
                    var axes = ReducedAxes(graph, candidate.Node);
                    if (axes.SetEquals([2L, 3L]))
                    {
                        return new(candidate.Node.Input[0], TensorLayout.Nchw, $"input of spatial {candidate.Node.OpType} '{candidate.Node.Name}'");
                    }
                    if (axes.SetEquals([1L, 2L]))
                    {
                        return new(candidate.Node.Input[0], TensorLayout.Nhwc, $"input of spatial {candidate.Node.OpType} '{candidate.Node.Name}' (NHWC)");
                    }
                    break;
                case "AveragePool" or "MaxPool":
                    if (output.Length == 4 && output[2] == 1 && output[3] == 1)
                    {
                        return new(candidate.Node.Input[0], TensorLayout.Nchw, $"input of global {candidate.Node.OpType} '{candidate.Node.Name}'");
                    }
                    break;
                default:
                    if (output.Length == 2)
                    {
                        return new(candidate.Node.Input[0], TensorLayout.Nchw, $"4-D input flattened by {candidate.Node.OpType} '{candidate.Node.Name}'");
                    }
                    break;
            }
        }
        throw new CamReadyException(
            $"None of the poolings in front of the scores '{scores}' reduces a 4-D tensor to one value per channel; name the target layer (--target-layer).");
    }

    static readonly HashSet<string> Poolings = ["GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "AveragePool", "MaxPool"];
    static readonly HashSet<string> Flattenings = ["Flatten", "Reshape"];

    /// <summary>Poolings and flattenings, nearest to the scores first (breadth-first over data inputs).</summary>
    static IEnumerable<(NodeProto Node, int Distance)> Candidates(GraphIndex graph, string scores)
    {
        var seen = new HashSet<string>();
        var queue = new Queue<(string Tensor, int Distance)>([(scores, 0)]);
        var poolings = new List<(NodeProto, int)>();
        var flattenings = new List<(NodeProto, int)>();
        while (queue.Count > 0)
        {
            var (tensor, distance) = queue.Dequeue();
            if (!seen.Add(tensor) || graph.Producer(tensor) is not { } node || node.OpType == "Constant")
            {
                continue;
            }
            if (Poolings.Contains(node.OpType))
            {
                poolings.Add((node, distance));
                continue;
            }
            if (Flattenings.Contains(node.OpType))
            {
                flattenings.Add((node, distance));
            }
            foreach (var input in node.Input.Where(i => i.Length > 0 && graph.Initializer(i) is null))
            {
                queue.Enqueue((input, distance + 1));
            }
        }
        // A pooling anywhere in the head wins over a flattening nearer the scores (ResNet's Flatten after its pooling).
        return poolings.Concat(flattenings);
    }

    static HashSet<long> ReducedAxes(GraphIndex graph, NodeProto node)
    {
        var axes = graph.ReduceAxes(node) ?? [];
        return axes.Select(a => a < 0 ? a + 4 : a).ToHashSet();
    }
}

/// <summary>A model cannot be made CAM-ready; the message says why and what to do.</summary>
public sealed class CamReadyException(string message) : Exception(message);
