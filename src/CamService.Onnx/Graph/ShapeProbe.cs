using CamService.Onnx.Model;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace CamService.Onnx.Graph;

/// <summary>
/// Learns the concrete shapes of chosen tensors by running the model once in ONNX Runtime on a
/// random input: ranks, broadcast axes and window geometry for the gradient rules. Free dimensions
/// are filled in as batch <see cref="BatchSize"/> (the first) and <c>spatialSize</c> (the others).
/// </summary>
public static class ShapeProbe
{
    /// <summary>Two, so that no batch dimension looks like a broadcast dimension of size one.</summary>
    public const int BatchSize = 2;

    /// <summary>
    /// The shapes of <paramref name="tensors"/>. The probe asks ONNX Runtime for each one's Shape, not for the tensor: asked
    /// for as outputs, a model's every MatMul output (the MAC count's question) would be copied out and held together.
    /// </summary>
    public static Dictionary<string, long[]> Run(GraphIndex graph, IEnumerable<string> tensors, int spatialSize) =>
        Probe(graph, tensors, spatialSize, BatchSize, (_, value) => value.GetTensorDataAsSpan<long>().ToArray(), shapesOnly: true);

    /// <summary>
    /// The values of integer tensors that do not change with the batch: computed from shapes (a Slice's ends, a Pad's pads), they
    /// are constants once the image size is pinned. Probed with batches of <see cref="BatchSize"/> and one more; a tensor that is
    /// not an integer vector of at most 64 elements, or whose value differs between the two, is left out.
    /// </summary>
    public static Dictionary<string, long[]> IntegerValues(GraphIndex graph, IEnumerable<string> tensors, int spatialSize)
    {
        var wanted = tensors.Where(t => graph.Initializer(t) is null).Distinct().ToList();
        var first = Probe(graph, wanted, spatialSize, BatchSize, IntegerVector);
        var second = Probe(graph, wanted, spatialSize, BatchSize + 1, IntegerVector);
        return first.Where(p => p.Value.Length > 0 && second[p.Key].SequenceEqual(p.Value)).ToDictionary(p => p.Key, p => p.Value);
    }

    static long[] IntegerVector(string tensor, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        if (info.Shape.Length > 1 || info.ElementCount > 64)
        {
            return [];
        }
        return info.ElementDataType switch
        {
            TensorElementType.Int64 => value.GetTensorDataAsSpan<long>().ToArray(),
            TensorElementType.Int32 => value.GetTensorDataAsSpan<int>().ToArray().Select(v => (long)v).ToArray(),
            _ => [],
        };
    }

    static Dictionary<string, long[]> Probe(GraphIndex graph, IEnumerable<string> tensors, int spatialSize, int batchSize,
        Func<string, OrtValue, long[]> read, bool shapesOnly = false)
    {
        var shapes = new Dictionary<string, long[]>();
        var wanted = new List<string>();
        foreach (var tensor in tensors.Distinct())
        {
            if (graph.Initializer(tensor) is { } initializer)
            {
                shapes[tensor] = initializer.Dims.ToArray();
            }
            else
            {
                wanted.Add(tensor);
            }
        }
        if (wanted.Count == 0)
        {
            return shapes;
        }

        var (probe, outputs) = ProbeModel(graph, wanted, shapesOnly);
        using var options = Options();
        using var serialized = SerializedModel.Of(probe);
        using var session = serialized.Open(options);

        var inputs = new List<OrtValue>();
        try
        {
            var random = new Random(1234);
            var names = new List<string>();
            foreach (var input in graph.DataInputs)
            {
                names.Add(input.Name);
                inputs.Add(RandomInput(input, session.InputMetadata[input.Name], spatialSize, batchSize, random));
            }

            using var results = session.RunWithOwnOptions(names, inputs, outputs);
            for (var i = 0; i < wanted.Count; i++)
            {
                shapes[wanted[i]] = read(wanted[i], results[i]);
            }
        }
        finally
        {
            foreach (var value in inputs)
            {
                value.Dispose();
            }
        }
        return shapes;
    }

    /// <summary>
    /// The model the probe runs: <paramref name="graph"/>'s with <paramref name="tensors"/>, or their Shapes, as its first
    /// outputs, in that order.
    /// </summary>
    internal static (ModelProto Model, List<string> Outputs) ProbeModel(GraphIndex graph, List<string> tensors, bool shapesOnly)
    {
        var probe = graph.Model.Clone();
        var outputs = shapesOnly ? ShapesOf(probe, graph, tensors) : tensors;
        probe.Graph.Output.Clear();
        // Outputs without a declared type: ONNX Runtime infers it, so any tensor can be asked for.
        probe.Graph.Output.AddRange(outputs.Select(tensor => new ValueInfoProto { Name = tensor }));
        return (probe, outputs);
    }

    /// <summary>
    /// Adds a Shape node for each of <paramref name="tensors"/>, each right after the node that makes its tensor, and a chain
    /// through them that ends the graph, so that ONNX Runtime runs each as soon as its tensor is made (<see cref="ChainInOrder"/>).
    /// Returns the Shapes' outputs, names the model does not use, and last the chain's end, an output too, so that no
    /// optimisation drops the chain.
    /// </summary>
    static List<string> ShapesOf(ModelProto probe, GraphIndex graph, List<string> tensors)
    {
        var taken = new HashSet<string>();
        var byTensor = new Dictionary<string, NodeProto[]>();
        foreach (var tensor in tensors)
        {
            var shape = new NodeProto { OpType = "Shape", Name = Unused(graph, taken, $"{tensor}/probe_shape") };
            shape.Input.Add(tensor);
            shape.Output.Add(shape.Name);
            var size = new NodeProto { OpType = "Size", Name = Unused(graph, taken, $"{tensor}/probe_size") };
            size.Input.Add(shape.Name);
            size.Output.Add(size.Name);
            byTensor[tensor] = [shape, size];
        }
        var nodes = new List<NodeProto>(probe.Graph.Node.Count + 2 * tensors.Count);
        var sizes = new List<string>(tensors.Count);
        void After(IEnumerable<string> made)
        {
            foreach (var probeNodes in made.Select(byTensor.GetValueOrDefault).OfType<NodeProto[]>())
            {
                nodes.AddRange(probeNodes);
                sizes.Add(probeNodes[1].Output[0]);
            }
        }
        After(probe.Graph.Input.Select(i => i.Name));
        foreach (var node in probe.Graph.Node)
        {
            nodes.Add(node);
            After(node.Output);
        }
        probe.Graph.Node.Clear();
        probe.Graph.Node.AddRange(nodes);
        var chain = ChainInOrder(graph, taken, sizes).ToList();
        probe.Graph.Node.AddRange(chain);
        return [.. tensors.Select(t => byTensor[t][0].Output[0]), .. chain.TakeLast(1).Select(link => link.Output[0])];
    }

    /// <summary>
    /// Nodes, last in the graph, that make every probe an ancestor of the graph's last node, each link reading the one before
    /// it: <c>link_1 = Identity(size_1)</c>, <c>link_k = Add(link_k−1, size_k)</c>. ONNX Runtime orders nodes by a walk back
    /// from the graph's last node that feeds no other, taking a node's latest input first. Left as leaves, the Shapes would all
    /// wait for the model's whole forward pass, each holding its tensor (an attention matrix per block: ViT-H/14's 32 blocks
    /// outgrew 24 GB). Down the chain the walk reaches the first probe first, and each Shape then runs once its own tensor
    /// exists, before the next probed tensor is made.
    /// </summary>
    static IEnumerable<NodeProto> ChainInOrder(GraphIndex graph, HashSet<string> taken, List<string> sizes)
    {
        string? link = null;
        for (var k = 0; k < sizes.Count; k++)
        {
            var node = new NodeProto { OpType = link is null ? "Identity" : "Add", Name = Unused(graph, taken, $"probe_link_{k}") };
            if (link is not null)
            {
                node.Input.Add(link);
            }
            node.Input.Add(sizes[k]);
            node.Output.Add(node.Name);
            yield return node;
            link = node.Name;
        }
    }

    /// <summary><paramref name="name"/>, or it with underscores added until neither the model nor the probe uses it.</summary>
    static string Unused(GraphIndex graph, HashSet<string> taken, string name)
    {
        while (graph.Exists(name) || !taken.Add(name))
        {
            name += "_";
        }
        return name;
    }

    /// <summary>
    /// No optimisation, no pre-packed weights and no memory arena: the probe runs once, so packing the weights for faster
    /// products would only add a copy of them, and an arena keeps the largest sizes it ever needed after the run.
    /// </summary>
    internal static SessionOptions Options()
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            EnableCpuMemArena = false,
        };
        options.AddSessionConfigEntry("session.disable_prepacking", "1");
        return options;
    }

    /// <summary>The concrete shape an input is probed with.</summary>
    public static long[] ProbeShape(ValueInfoProto input, int spatialSize, int batchSize = BatchSize)
    {
        var dims = input.Type?.TensorType?.Shape?.Dim;
        if (dims is null)
        {
            throw new InvalidDataException($"Input '{input.Name}' has no declared shape; the model cannot be probed.");
        }
        return dims.Select((d, i) => d.HasDimValue && d.DimValue > 0 ? d.DimValue : i == 0 ? batchSize : spatialSize).ToArray();
    }

    static OrtValue RandomInput(ValueInfoProto input, NodeMetadata metadata, int spatialSize, int batchSize, Random random)
    {
        var shape = ProbeShape(input, spatialSize, batchSize);
        var count = (int)shape.Aggregate(1L, (a, b) => a * b);
        var type = metadata.ElementDataType;
        switch (type)
        {
            case TensorElementType.Float:
                var data = new float[count];
                for (var i = 0; i < count; i++)
                {
                    data[i] = (float)(random.NextDouble() * 2 - 1);
                }
                return OrtValue.CreateTensorValueFromMemory(data, shape);
            case TensorElementType.Double:
                var doubles = new double[count];
                for (var i = 0; i < count; i++)
                {
                    doubles[i] = random.NextDouble() * 2 - 1;
                }
                return OrtValue.CreateTensorValueFromMemory(doubles, shape);
            case TensorElementType.Int64:
                return OrtValue.CreateTensorValueFromMemory(new long[count], shape);
            case TensorElementType.Int32:
                return OrtValue.CreateTensorValueFromMemory(new int[count], shape);
            case TensorElementType.Bool:
                return OrtValue.CreateTensorValueFromMemory(new bool[count], shape);
            default:
                throw new NotSupportedException($"Input '{input.Name}' has element type {type}, which the probe cannot fill.");
        }
    }
}
