using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.CamReady;

/// <summary>
/// Makes a head compute only the token its scores read. ViT's logits read the class token alone (a Gather of
/// position 0 after the final normalisation), yet its export runs the last block's residuals, normalisations and
/// MLP on all 197 tokens, and the gradient then flows back through 197 rows of which one is non-zero. Moving that
/// pick up, node by node, through every node that treats tokens one at a time (element-wise operators,
/// LayerNormalization and Softmax along other axes, MatMul by a weight, Transpose) until it meets one that mixes
/// them (the attention's Reshape) gives the same scores from the same arithmetic, and both the forward pass and the
/// gradient skip the rows nobody reads. Only nodes downstream of the target layer change; the target, and any tensor
/// something else reads in full, stays whole.
/// </summary>
public static class HeadPruning
{
    static readonly HashSet<string> Unary =
    [
        "Abs", "Cast", "Clip", "Elu", "Erf", "Exp", "Gelu", "HardSigmoid", "HardSwish", "Identity", "LeakyRelu", "Log",
        "Neg", "Reciprocal", "Relu", "Selu", "Sigmoid", "Softplus", "Sqrt", "Tanh",
    ];

    static readonly HashSet<string> Broadcasting = ["Add", "Sub", "Mul", "Div", "Pow", "Where", "Max", "Min", "Sum"];

    /// <summary>A Gather of one position (a scalar index) along one axis of a tensor downstream of the target.</summary>
    sealed record Pick(NodeProto Node, string Data, int Axis, long Index, string IndexTensor);

    /// <summary>The tensors <see cref="Apply"/> needs the shapes of: every input and output of the nodes downstream of the target.</summary>
    public static IEnumerable<string> TensorsToProbe(GraphIndex graph, string target) =>
        Downstream(graph, target).Nodes.SelectMany(n => n.Input.Concat(n.Output)).Where(t => t.Length > 0).Distinct();

    /// <summary>Whether the head picks single positions at all; when it does not, <see cref="Apply"/> would change nothing.</summary>
    public static bool HasPicks(GraphIndex graph, string target)
    {
        var downstream = Downstream(graph, target);
        return downstream.Nodes.Any(n => AsPick(graph, n, downstream.Tensors, null) is not null);
    }

    /// <summary>
    /// Moves every pick as far up as it can go and returns how many nodes it moved through; the model is changed in
    /// place and its nodes left in topological order. <paramref name="shapes"/> holds the shapes of
    /// <see cref="TensorsToProbe"/>.
    /// </summary>
    public static int Apply(ModelProto model, string target, IReadOnlyDictionary<string, long[]> shapes)
    {
        var known = new Dictionary<string, long[]>(shapes);
        var moves = 0;
        while (MoveOne(new GraphIndex(model), target, known))
        {
            moves++;
        }
        if (moves > 0)
        {
            var ordered = new GraphIndex(model).TopologicalOrder().ToList();
            model.Graph.Node.Clear();
            model.Graph.Node.AddRange(ordered);
        }
        return moves;
    }

    /// <summary>Finds one pick that can move above its input's producer and moves it; false when none can.</summary>
    static bool MoveOne(GraphIndex graph, string target, Dictionary<string, long[]> shapes)
    {
        var downstream = Downstream(graph, target);
        var outputs = graph.Graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var node in downstream.Nodes)
        {
            if (AsPick(graph, node, downstream.Tensors, shapes) is not { } pick || pick.Data == target || outputs.Contains(pick.Data)
                || graph.Producer(pick.Data) is not { } producer || !downstream.Nodes.Contains(producer)
                || producer.Output.Skip(1).Any(o => o.Length > 0 && graph.Consumers(o).Count > 0))
            {
                continue;
            }
            // Every reader of the tensor must take the same position, or the whole tensor is still needed.
            var readers = graph.Consumers(pick.Data);
            // Equal picks merge into this one (unless a duplicate's output is a graph output: its name must stay).
            var same = readers.Select(r => r.Slot == 0 ? AsPick(graph, r.Node, downstream.Tensors, shapes) : null).ToList();
            same.RemoveAll(p => p is not null && ReferenceEquals(p.Node, pick.Node));
            if (same.Any(p => p is null || p.Axis != pick.Axis || p.Index != pick.Index || outputs.Contains(p.Node.Output[0])))
            {
                continue;
            }
            if (!Rewrite(graph, producer, pick, shapes))
            {
                continue;
            }
            foreach (var duplicate in same)
            {
                graph.Graph.Node.Remove(duplicate!.Node);
                Subgraphs.Rename(graph.Graph, duplicate.Node.Output[0], pick.Node.Output[0]);
            }
            graph.Graph.Node.Remove(pick.Node);
            var stale = graph.Graph.ValueInfo.Where(v => v.Name == pick.Data).ToList();
            stale.ForEach(v => graph.Graph.ValueInfo.Remove(v));
            return true;
        }
        return false;
    }

    /// <summary>
    /// Makes <paramref name="producer"/> compute the picked slice of its output directly: its inputs are picked
    /// instead (along each one's own axis, by broadcasting), and its output becomes the pick's.
    /// </summary>
    static bool Rewrite(GraphIndex graph, NodeProto producer, Pick pick, Dictionary<string, long[]> shapes)
    {
        if (producer.Input.Any(i => i.Length > 0 && !shapes.ContainsKey(i)) || PlanFor(graph, producer, pick, shapes) is not var (picks, attribute))
        {
            return false;
        }
        if (attribute is not null)
        {
            if (producer.Find(attribute.Name) is { } existing)
            {
                producer.Attribute.Remove(existing);
            }
            producer.Attribute.Add(attribute);
        }
        var position = graph.Graph.Node.IndexOf(producer);
        for (var i = 0; i < picks.Length; i++)
        {
            if (picks[i] is not { } inputAxis || producer.Input[i].Length == 0)
            {
                continue;
            }
            var input = producer.Input[i];
            var dims = shapes[input];
            // A broadcast axis of size one is dropped by taking its only position.
            var index = dims[inputAxis] == 1 ? ZeroScalar(graph) : pick.IndexTensor;
            var picked = graph.FreshName($"{input}_pick");
            var gather = new NodeProto { OpType = "Gather", Name = graph.FreshName($"{producer.Name}/pick_{i}") };
            gather.Input.AddRange([input, index]);
            gather.Output.Add(picked);
            gather.Attribute.Add(Attributes.Int("axis", inputAxis));
            graph.Graph.Node.Insert(position++, gather);
            shapes[picked] = dims.Where((_, d) => d != inputAxis).ToArray();
            producer.Input[i] = picked;
        }
        producer.Output[0] = pick.Node.Output[0];
        return true;
    }

    /// <summary>
    /// Which inputs of <paramref name="producer"/> to pick from, along which axis (null where an input keeps its whole value),
    /// and the change to its attributes; null when the node cannot take the pick. Decided before anything changes, so that
    /// such a node is left as it was.
    /// </summary>
    static (int?[] Picks, AttributeProto? Attribute)? PlanFor(GraphIndex graph, NodeProto producer, Pick pick, Dictionary<string, long[]> shapes)
    {
        var rank = shapes[pick.Data].Length;
        var axis = pick.Axis;
        var picks = new int?[producer.Input.Count];
        AttributeProto? attribute = null;
        switch (producer.OpType)
        {
            case var op when Unary.Contains(op):
                picks[0] = axis;
                break;
            case var op when Broadcasting.Contains(op):
                for (var i = 0; i < producer.Input.Count; i++)
                {
                    var aligned = axis - (rank - shapes[producer.Input[i]].Length);
                    picks[i] = aligned >= 0 ? aligned : null;
                }
                break;
            case "LayerNormalization":
                var first = (int)Normalize(producer.GetInt("axis", -1), rank);
                if (axis >= first || producer.Output.Skip(1).Any(o => o.Length > 0))
                {
                    return null;
                }
                picks[0] = axis;
                attribute = Attributes.Int("axis", first - 1);
                break;
            case "Softmax" or "LogSoftmax" when graph.Opset >= 13:
                var along = (int)Normalize(producer.GetInt("axis", -1), rank);
                if (axis == along)
                {
                    return null;
                }
                picks[0] = axis;
                attribute = Attributes.Int("axis", along > axis ? along - 1 : along);
                break;
            case "MatMul":
                var (left, right) = (shapes[producer.Input[0]].Length, shapes[producer.Input[1]].Length);
                if (left < 2 || right < 2 || axis == rank - 1 || (axis == rank - 2 && right != 2))
                {
                    // A column picks the weight's columns, and a row of a batched product over a batched right side
                    // would broadcast against its batch: neither is a row of the left side alone.
                    return null;
                }
                picks[0] = axis - (rank - left) >= 0 ? axis - (rank - left) : null;
                picks[1] = axis < rank - 2 && axis - (rank - right) >= 0 ? axis - (rank - right) : null;
                break;
            case "Transpose":
                var perm = producer.GetInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
                var from = perm[axis];
                picks[0] = (int)from;
                attribute = Attributes.Ints("perm", perm.Where((_, i) => i != axis).Select(p => p > from ? p - 1 : p));
                break;
            default:
                return null;
        }
        return (picks, attribute);
    }

    static Pick? AsPick(GraphIndex graph, NodeProto node, HashSet<string> downstream, IReadOnlyDictionary<string, long[]>? shapes)
    {
        if (node.OpType != "Gather" || node.Input.Count < 2 || !downstream.Contains(node.Input[0]) || ScalarInt(graph, node.Input[1]) is not { } index)
        {
            return null;
        }
        var axis = node.GetInt("axis", 0);
        if (shapes is null)
        {
            return new Pick(node, node.Input[0], (int)axis, index, node.Input[1]);
        }
        if (!shapes.TryGetValue(node.Input[0], out var shape))
        {
            return null;
        }
        var normalized = (int)Normalize(axis, shape.Length);
        var position = index < 0 ? index + shape[normalized] : index;
        return position < 0 || position >= shape[normalized] ? null : new Pick(node, node.Input[0], normalized, position, node.Input[1]);
    }

    /// <summary>The value of a constant scalar (rank 0) integer tensor, or null.</summary>
    static long? ScalarInt(GraphIndex graph, string tensor)
    {
        var proto = graph.Initializer(tensor) ?? (graph.Producer(tensor) is { OpType: "Constant" } constant ? constant.Find("value")?.T : null);
        return proto is { Dims.Count: 0 } && Tensors.ReadInts(proto) is [var value] ? value : null;
    }

    static string ZeroScalar(GraphIndex graph)
    {
        var name = graph.FreshName("head_pruning_zero");
        graph.Graph.Initializer.Add(Tensors.Int64(name, [], [0]));
        return name;
    }

    /// <summary>The nodes that read the target, directly or through others, and the tensors they make.</summary>
    static (HashSet<NodeProto> Nodes, HashSet<string> Tensors) Downstream(GraphIndex graph, string target)
    {
        var nodes = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var tensors = new HashSet<string> { target };
        var queue = new Queue<string>([target]);
        while (queue.Count > 0)
        {
            foreach (var (node, _) in graph.Consumers(queue.Dequeue()))
            {
                if (nodes.Add(node))
                {
                    foreach (var output in node.Output.Where(o => o.Length > 0 && tensors.Add(o)))
                    {
                        queue.Enqueue(output);
                    }
                }
            }
        }
        return (nodes, tensors);
    }

    static long Normalize(long axis, int rank) => axis < 0 ? axis + rank : axis;
}
