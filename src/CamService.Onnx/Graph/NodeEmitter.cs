using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.Graph;

/// <summary>
/// Appends nodes to a graph in the form its operator set expects: the same call emits, for
/// example, Unsqueeze with an <c>axes</c> attribute before opset 13 and an axes input from 13 on.
/// Every emitted name starts with <see cref="Prefix"/>, so added nodes are easy to tell apart.
/// </summary>
public sealed class NodeEmitter
{
    readonly GraphIndex graph;
    readonly Dictionary<string, string> shapes = new();
    readonly Dictionary<string, string> sizes = new();
    readonly Dictionary<(long[] Values, string Kind), string> constants = new(ConstantKeyComparer.Instance);

    public NodeEmitter(GraphIndex graph, DataType floatType, string prefix)
    {
        this.graph = graph;
        FloatType = floatType;
        Prefix = prefix;
    }

    public int Opset => graph.Opset;

    /// <summary>The floating-point type of the model's activations; constants are made in it.</summary>
    public DataType FloatType { get; }

    public string Prefix { get; }

    /// <summary>Emits a node with one output and returns the output's name.</summary>
    public string Node(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Nodes(opType, inputs, 1, attributes)[0];

    /// <summary>Emits a node whose single output gets the given name (a graph output, say).</summary>
    public string NodeTo(string output, string opType, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = graph.FreshName($"{Prefix}/{opType}") };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        graph.AddNode(node);
        return output;
    }

    /// <summary>Emits a node with <paramref name="outputCount"/> outputs and returns their names.</summary>
    public string[] Nodes(string opType, IEnumerable<string> inputs, int outputCount, params AttributeProto[] attributes)
    {
        var node = new NodeProto
        {
            OpType = opType,
            Name = graph.FreshName($"{Prefix}/{opType}"),
        };
        node.Input.AddRange(inputs);
        var outputs = new string[outputCount];
        for (var i = 0; i < outputCount; i++)
        {
            outputs[i] = graph.FreshName($"{Prefix}/{opType}_output_{i}");
        }
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        graph.AddNode(node);
        return outputs;
    }

    // ---- Constants (shared, so a graph holds each value once) ----

    /// <summary>A 1-D int64 constant.</summary>
    public string Int64s(params long[] values) =>
        Constant((values, "i64"), () => Tensors.Int64("value", [values.Length], values));

    /// <summary>A 0-D int64 constant.</summary>
    public string Int64Scalar(long value) =>
        Constant(([value], "i64-scalar"), () => Tensors.Int64("value", [], [value]));

    /// <summary>A 0-D constant of the model's floating-point type.</summary>
    public string Scalar(float value) =>
        Constant(([BitConverter.SingleToInt32Bits(value)], "f-scalar"), () => Tensors.Floating("value", FloatType, [], [value]));

    /// <summary>A constant of the model's floating-point type with the given dims.</summary>
    public string Floats(long[] dims, float[] values) =>
        Constant((dims.Concat(values.Select(v => (long)BitConverter.SingleToInt32Bits(v))).ToArray(), $"f{dims.Length}"),
            () => Tensors.Floating("value", FloatType, dims, values));

    string Constant((long[] Values, string Kind) key, Func<TensorProto> tensor)
    {
        if (!constants.TryGetValue(key, out var name))
        {
            constants[key] = name = Node("Constant", [], Attributes.Tensor("value", tensor()));
        }
        return name;
    }

    // ---- Shapes ----

    /// <summary>The runtime shape of a tensor as a 1-D int64 tensor (one Shape node per tensor).</summary>
    public string Shape(string tensor)
    {
        if (!shapes.TryGetValue(tensor, out var shape))
        {
            shapes[tensor] = shape = Node("Shape", [tensor]);
        }
        return shape;
    }

    /// <summary>The number of elements of a tensor as a 0-D int64 tensor.</summary>
    public string Size(string tensor)
    {
        if (!sizes.TryGetValue(tensor, out var size))
        {
            sizes[tensor] = size = Node("Size", [tensor]);
        }
        return size;
    }

    /// <summary>Selected entries of a 1-D tensor (Gather works in every opset, unlike Slice's inputs).</summary>
    public string Pick(string vector, params long[] indices) => Node("Gather", [vector, Int64s(indices)], Attributes.Int("axis", 0));

    /// <summary>Slices of <paramref name="data"/> along <paramref name="axis"/> at runtime <paramref name="indices"/>.</summary>
    public string Gather(string data, string indices, long axis) => Node("Gather", [data, indices], Attributes.Int("axis", axis));

    public string Concat(long axis, params string[] inputs) => Node("Concat", inputs, Attributes.Int("axis", axis));

    // ---- Layout ----

    public string Reshape(string tensor, string shape) => Node("Reshape", [tensor, shape]);

    public string Transpose(string tensor, params long[] perm) => Node("Transpose", [tensor], Attributes.Ints("perm", perm));

    public string Expand(string tensor, string shape) => Node("Expand", [tensor, shape]);

    public string Unsqueeze(string tensor, params long[] axes) => Opset >= 13
        ? Node("Unsqueeze", [tensor, Int64s(axes)])
        : Node("Unsqueeze", [tensor], Attributes.Ints("axes", axes));

    public string ReduceSum(string tensor, long[] axes, bool keepDims) => Opset >= 13
        ? Node("ReduceSum", [tensor, Int64s(axes)], Attributes.Int("keepdims", keepDims ? 1 : 0))
        : Node("ReduceSum", [tensor], Attributes.Ints("axes", axes), Attributes.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>Elements <paramref name="start"/> to <paramref name="end"/> (exclusive, clamped) of one axis, step 1.</summary>
    public string Slice(string tensor, long axis, long start, long end) => Opset >= 10
        ? Node("Slice", [tensor, Int64s(start), Int64s(end), Int64s(axis)])
        : Node("Slice", [tensor], Attributes.Ints("starts", [start]), Attributes.Ints("ends", [end]), Attributes.Ints("axes", [axis]));

    public string[] Split(string tensor, long axis, long[] sizes) => Opset >= 13
        ? Nodes("Split", [tensor, Int64s(sizes)], sizes.Length, Attributes.Int("axis", axis))
        : Nodes("Split", [tensor], sizes.Length, Attributes.Int("axis", axis), Attributes.Ints("split", sizes));

    /// <summary>Zeros of the model's floating-point type in the given runtime shape.</summary>
    public string Zeros(string shape) =>
        Node("ConstantOfShape", [shape], Attributes.Tensor("value", Tensors.Floating("value", FloatType, [1], [0f])));

    public string Cast(string tensor, DataType to) => Node("Cast", [tensor], Attributes.Int("to", (long)to));

    // ---- Arithmetic (numpy broadcasting) ----

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string Sub(string a, string b) => Node("Sub", [a, b]);

    public string Mul(string a, string b) => Node("Mul", [a, b]);

    public string Div(string a, string b) => Node("Div", [a, b]);

    public string Neg(string a) => Node("Neg", [a]);

    public string Sqrt(string a) => Node("Sqrt", [a]);

    public string MatMul(string a, string b) => Node("MatMul", [a, b]);

    /// <summary>The sum of one or more tensors (the input itself when there is one).</summary>
    public string Sum(IReadOnlyList<string> terms) => terms.Count == 1 ? terms[0] : Node("Sum", terms);

    // ---- Comparisons and selection ----

    public string Greater(string a, string b) => Node("Greater", [a, b]);

    public string Less(string a, string b) => Node("Less", [a, b]);

    public string Not(string a) => Node("Not", [a]);

    public string And(string a, string b) => Node("And", [a, b]);

    public string Where(string condition, string whenTrue, string whenFalse) => Node("Where", [condition, whenTrue, whenFalse]);

    sealed class ConstantKeyComparer : IEqualityComparer<(long[] Values, string Kind)>
    {
        public static readonly ConstantKeyComparer Instance = new();

        public bool Equals((long[] Values, string Kind) x, (long[] Values, string Kind) y) =>
            x.Kind == y.Kind && x.Values.AsSpan().SequenceEqual(y.Values);

        public int GetHashCode((long[] Values, string Kind) key)
        {
            var hash = new HashCode();
            hash.Add(key.Kind);
            foreach (var v in key.Values)
            {
                hash.Add(v);
            }
            return hash.ToHashCode();
        }
    }
}
