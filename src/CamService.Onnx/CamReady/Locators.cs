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
/// Finds the target layer automatically. For a CNN (and ConvNeXt, MaxViT), walking back from the scores, the 4-D
/// tensor that feeds the global pooling in front of the classifier (GlobalAveragePool, a spatial ReduceMean, or an
/// AveragePool whose output is 1×1), or failing that the 4-D tensor the classifier flattens. For a transformer —
/// no such pooling (ViT picks its class token), or one that pools the final normalisation of a token grid (Swin) —
/// the output of the last normalisation in front of an attention: the last block's norm before attention, where
/// pytorch-grad-cam's tutorials put it, as a token sequence (ViT: [N, 1 + h·w, C]) or a channels-last grid
/// (Swin: [N, h, w, C]). That layer still mixes every position through the last attention, while the final
/// normalisation only feeds the pooling: its Grad-CAM is plain CAM on the token grid.
/// </summary>
public static class TargetLayerLocator
{
    public static TargetLayer Find(GraphIndex graph, string scores, ImageInput image,
        Func<IEnumerable<string>, IReadOnlyDictionary<string, long[]>> probe)
    {
        var pooled = PooledMap(graph, scores, probe, out var pooledFailure);
        if (pooled is null || IsNormalised(graph, pooled.Tensor))
        {
            if (NormBeforeAttention(graph, scores, image, probe) is { } tokens)
            {
                return tokens;
            }
        }
        return pooled ?? throw new CamReadyException(pooledFailure! +
            " Nor does a normalisation of a token sequence or grid feed an attention; name the target layer (--target-layer).");
    }

    /// <summary>The 4-D map a CNN pools or flattens in front of its classifier, or null with the reason.</summary>
    static TargetLayer? PooledMap(GraphIndex graph, string scores, Func<IEnumerable<string>, IReadOnlyDictionary<string, long[]>> probe,
        out string? failure)
    {
        failure = null;
        var candidates = Candidates(graph, scores).ToList();
        if (candidates.Count == 0)
        {
            failure = $"No global pooling or flattening of a 4-D tensor was found in front of the scores '{scores}'.";
            return null;
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
        failure = $"None of the poolings in front of the scores '{scores}' reduces a 4-D tensor to one value per channel.";
        return null;
    }

    /// <summary>Whether a tensor is a layer normalisation's output, seen through transposes (Swin's permute before its pooling).</summary>
    static bool IsNormalised(GraphIndex graph, string tensor)
    {
        var node = graph.Producer(tensor);
        while (node is { OpType: "Transpose" or "Identity" })
        {
            node = graph.Producer(node.Input[0]);
        }
        return node?.OpType == "LayerNormalization";
    }

    /// <summary>
    /// The last layer normalisation (in graph order) in front of the scores whose output feeds an attention's Softmax
    /// before the next normalisation, and folds into a grid with the image's aspect ratio: a 3-D token sequence, or a
    /// 4-D channels-last grid. Null when there is none.
    /// </summary>
    static TargetLayer? NormBeforeAttention(GraphIndex graph, string scores, ImageInput image,
        Func<IEnumerable<string>, IReadOnlyDictionary<string, long[]>> probe)
    {
        var upstream = Upstream(graph, scores);
        var norms = graph.TopologicalOrder()
            .Where(n => n.OpType == "LayerNormalization" && upstream.Contains(n.Output[0]) && FeedsAttention(graph, n.Output[0]))
            .Reverse()
            .ToList();
        if (norms.Count == 0)
        {
            return null;
        }
        var streams = norms.Select(n => ResidualAfter(graph, n)).ToList();
        var shapes = probe(streams.Select(s => s.Tensor));
        var (height, width) = (image.Height!.Value, image.Width!.Value);
        foreach (var (tensor, what) in streams)
        {
            var shape = shapes[tensor];
            if (shape.Length == 3 && TargetFolding.InferGrid(shape[1], height, width) is not null)
            {
                return new TargetLayer(tensor, TensorLayout.Tokens, $"token sequence of {what}");
            }
            if (shape.Length == 4 && shape[1] >= 2 && shape[2] >= 2 && shape[1] * width == shape[2] * height)
            {
                return new TargetLayer(tensor, TensorLayout.Nhwc, $"token grid of {what}");
            }
        }
        return null;
    }

    /// <summary>
    /// What enters the attention after a normalisation: its output in a pre-norm block (ViT, Swin), or in a post-norm one
    /// (Swin V2, whose blocks end in norm then residual sum) the residual sum it alone feeds, the stream the next block's
    /// attention reads.
    /// </summary>
    static (string Tensor, string What) ResidualAfter(GraphIndex graph, NodeProto norm)
    {
        var name = norm.Name.Length > 0 ? norm.Name : norm.Output[0];
        return graph.Consumers(norm.Output[0]) is [({ OpType: "Add" } sum, _)]
            ? (sum.Output[0], $"the residual sum after '{name}', in front of the last attention (a post-norm block)")
            : (norm.Output[0], $"'{name}', the last normalisation before an attention");
    }

    /// <summary>Every tensor the scores depend on through node inputs (initializers aside).</summary>
    static HashSet<string> Upstream(GraphIndex graph, string scores)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>([scores]);
        while (pending.Count > 0)
        {
            var tensor = pending.Pop();
            if (!seen.Add(tensor) || graph.Producer(tensor) is not { } node)
            {
                continue;
            }
            foreach (var input in node.Input.Where(i => i.Length > 0 && graph.Initializer(i) is null))
            {
                pending.Push(input);
            }
        }
        return seen;
    }

    /// <summary>Whether a Softmax consumes <paramref name="tensor"/>, directly or through other nodes, before any normalisation does.</summary>
    static bool FeedsAttention(GraphIndex graph, string tensor)
    {
        var seen = new HashSet<string>();
        var pending = new Queue<string>([tensor]);
        while (pending.Count > 0)
        {
            foreach (var (node, _) in graph.Consumers(pending.Dequeue()))
            {
                if (node.OpType == "Softmax")
                {
                    return true;
                }
                if (node.OpType is "LayerNormalization" or "Shape")
                {
                    continue;
                }
                foreach (var output in node.Output.Where(o => o.Length > 0 && seen.Add(o)))
                {
                    pending.Enqueue(output);
                }
            }
        }
        return false;
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
