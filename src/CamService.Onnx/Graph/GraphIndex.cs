using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.Graph;

/// <summary>
/// The main graph of a model with the lookups a graph walk needs: which node produces a tensor,
/// which nodes consume it, which tensors are constants, and fresh unique names.
/// </summary>
public sealed class GraphIndex
{
    readonly Dictionary<string, NodeProto> producers = new();
    readonly Dictionary<string, List<(NodeProto Node, int Slot)>> consumers = new();
    readonly Dictionary<string, TensorProto> initializers = new();
    readonly HashSet<string> names = new();

    public GraphIndex(ModelProto model)
    {
        Model = model;
        Opset = DefaultOpset(model);
        foreach (var initializer in Graph.Initializer)
        {
            initializers[initializer.Name] = initializer;
            names.Add(initializer.Name);
        }
        foreach (var value in Graph.Input.Concat(Graph.Output).Concat(Graph.ValueInfo))
        {
            names.Add(value.Name);
        }
        foreach (var node in Graph.Node)
        {
            Register(node);
        }
        foreach (var name in Subgraphs.TensorNames(Graph))
        {
            names.Add(name);
        }
    }

    public ModelProto Model { get; }

    public GraphProto Graph => Model.Graph;

    /// <summary>The version of the default ("ai.onnx") operator set the model imports.</summary>
    public int Opset { get; }

    /// <summary>Graph inputs that are real inputs, not initializers listed as inputs (IR 3 style).</summary>
    public IEnumerable<ValueInfoProto> DataInputs => Graph.Input.Where(i => !initializers.ContainsKey(i.Name));

    public NodeProto? Producer(string tensor) => producers.GetValueOrDefault(tensor);

    public IReadOnlyList<(NodeProto Node, int Slot)> Consumers(string tensor) =>
        consumers.TryGetValue(tensor, out var list) ? list : [];

    public TensorProto? Initializer(string tensor) => initializers.GetValueOrDefault(tensor);

    public bool Exists(string tensor) => names.Contains(tensor);

    /// <summary>The value of a constant integer tensor (initializer or Constant node), or null.</summary>
    public long[]? ConstantInts(string tensor)
    {
        if (initializers.TryGetValue(tensor, out var initializer))
        {
            return Tensors.ReadInts(initializer);
        }
        if (Producer(tensor) is { OpType: "Constant" } constant)
        {
            if (constant.Find("value") is { T: { } value })
            {
                return Tensors.ReadInts(value);
            }
            if (constant.Find("value_ints") is { } ints)
            {
                return ints.Ints.ToArray();
            }
            if (constant.Find("value_int") is { } single)
            {
                return [single.I];
            }
        }
        return null;
    }

    /// <summary>
    /// A Reduce* node's axes: the attribute before opset 18, the constant second input from 18 on;
    /// null when the node names none (or names them with a tensor computed at run time).
    /// </summary>
    public long[]? ReduceAxes(NodeProto node) =>
        node.GetInts("axes") ?? (node.Input.Count > 1 && node.Input[1].Length > 0 ? ConstantInts(node.Input[1]) : null);

    /// <summary>The value of a constant float tensor (initializer or Constant node), or null.</summary>
    public float[]? ConstantFloats(string tensor)
    {
        if (initializers.TryGetValue(tensor, out var initializer))
        {
            return Tensors.ReadFloats(initializer);
        }
        if (Producer(tensor) is { OpType: "Constant" } constant)
        {
            if (constant.Find("value") is { T: { } value })
            {
                return Tensors.ReadFloats(value);
            }
            if (constant.Find("value_float") is { } single)
            {
                return [single.F];
            }
        }
        return null;
    }

    /// <summary>A tensor or node name not used anywhere in the model yet; reserves it.</summary>
    public string FreshName(string hint)
    {
        var name = hint;
        for (var i = 1; !names.Add(name); i++)
        {
            name = $"{hint}_{i}";
        }
        return name;
    }

    public void AddNode(NodeProto node)
    {
        Graph.Node.Add(node);
        Register(node);
    }

    /// <summary>
    /// The name of output <paramref name="index"/> of an existing node, giving the node that output
    /// (for example MaxPool's Indices) when it does not produce it yet.
    /// </summary>
    public string EnsureOutput(NodeProto node, int index, string hint)
    {
        while (node.Output.Count <= index)
        {
            node.Output.Add("");
        }
        if (node.Output[index].Length == 0)
        {
            var name = FreshName(hint);
            node.Output[index] = name;
            producers[name] = node;
        }
        return node.Output[index];
    }

    /// <summary>Renames a tensor everywhere it appears, subgraphs included, to a name from <see cref="FreshName"/>.</summary>
    public void RenameTensor(string from, string to)
    {
        names.Add(to);
        Subgraphs.Rename(Graph, from, to);
        names.Remove(from);

        if (initializers.Remove(from, out var initializer))
        {
            initializers[to] = initializer;
        }
        if (producers.Remove(from, out var producer))
        {
            producers[to] = producer;
        }
        if (consumers.Remove(from, out var users))
        {
            consumers[to] = users;
        }
    }

    /// <summary>
    /// Removes nodes, initializers and value infos that no graph output depends on, so that, for
    /// example, a final Softmax the scores were taken before does not linger in the model.
    /// </summary>
    public void RemoveUnusedNodes()
    {
        var needed = new HashSet<string>(Graph.Output.Select(o => o.Name));
        var keep = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        for (var i = Graph.Node.Count - 1; i >= 0; i--)
        {
            var node = Graph.Node[i];
            if (node.Output.Any(needed.Contains))
            {
                keep.Add(node);
                foreach (var input in node.Input.Concat(Subgraphs.OuterReferences(node)))
                {
                    needed.Add(input);
                }
            }
        }

        var kept = Graph.Node.Where(keep.Contains).ToList();
        Graph.Node.Clear();
        Graph.Node.AddRange(kept);

        var usedInitializers = Graph.Initializer.Where(t => needed.Contains(t.Name)).ToList();
        Graph.Initializer.Clear();
        Graph.Initializer.AddRange(usedInitializers);

        var usedInputs = Graph.Input.Where(v => needed.Contains(v.Name)).ToList();
        Graph.Input.Clear();
        Graph.Input.AddRange(usedInputs);

        var usedInfo = Graph.ValueInfo.Where(v => needed.Contains(v.Name)).ToList();
        Graph.ValueInfo.Clear();
        Graph.ValueInfo.AddRange(usedInfo);
    }

    /// <summary>Nodes in an order where every producer comes before its consumers.</summary>
    public IReadOnlyList<NodeProto> TopologicalOrder()
    {
        var available = new HashSet<string>(Graph.Input.Select(i => i.Name).Concat(initializers.Keys)) { "" };
        var pending = new List<NodeProto>(Graph.Node);
        var ordered = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            var progressed = false;
            for (var i = 0; i < pending.Count; i++)
            {
                var node = pending[i];
                if (node.Input.All(t => available.Contains(t) || !producers.ContainsKey(t)))
                {
                    ordered.Add(node);
                    foreach (var output in node.Output)
                    {
                        available.Add(output);
                    }
                    pending.RemoveAt(i--);
                    progressed = true;
                }
            }
            if (!progressed)
            {
                throw new InvalidDataException($"The graph has a cycle through node '{pending[0].Name}' ({pending[0].OpType}).");
            }
        }
        return ordered;
    }

    /// <summary>The version of the default ("ai.onnx") operator set <paramref name="model"/> imports; 1 when it names none.</summary>
    public static int DefaultOpset(ModelProto model)
    {
        var entry = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        return entry is null ? 1 : (int)entry.Version;
    }

    void Register(NodeProto node)
    {
        names.Add(node.Name);
        foreach (var output in node.Output.Where(o => o.Length > 0))
        {
            producers[output] = node;
            names.Add(output);
        }
        for (var slot = 0; slot < node.Input.Count; slot++)
        {
            var input = node.Input[slot];
            if (input.Length == 0)
            {
                continue;
            }
            if (!consumers.TryGetValue(input, out var list))
            {
                consumers[input] = list = [];
            }
            list.Add((node, slot));
            names.Add(input);
        }
    }
}
