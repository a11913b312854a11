using CamService.Onnx.Graph;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Testing;

/// <summary>
/// Builds small ONNX models in C#: inputs with a free batch dimension, seeded random initializers
/// and nodes named after their operator, in a chosen opset and IR version; optionally with the
/// initializers listed as inputs (IR 3), or saved with their data in a sidecar file.
/// </summary>
public sealed class TestGraph
{
    readonly GraphProto graph = new() { Name = "test" };
    readonly Random random;
    int counter;

    /// <param name="opset">The default-domain opset the model imports.</param>
    /// <param name="seed">Seeds every random initializer, so a graph is the same on every run.</param>
    /// <param name="irVersion">The IR version; by default the one released with <paramref name="opset"/>.</param>
    public TestGraph(int opset = 17, int seed = 1, long? irVersion = null)
    {
        Opset = opset;
        IrVersion = irVersion ?? IrVersionOf(opset);
        random = new Random(seed);
    }

    public int Opset { get; }

    public long IrVersion { get; }

    /// <summary>Lists every initializer as a graph input too, as IR 3 (Caffe2, old exporters) required.</summary>
    public bool InitializersAsInputs { get; init; }

    /// <summary>A float input of shape <paramref name="dims"/>, except that the first dimension is the free batch dimension N, and negative ones are free too.</summary>
    public string Input(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        shape.Dim.AddRange(dims.Skip(1).Select((d, i) => d < 0
            ? new TensorShapeProto.Types.Dimension { DimParam = $"{name}_dim{i + 1}" }
            : new TensorShapeProto.Types.Dimension { DimValue = d }));
        graph.Input.Add(Value(name, shape));
        return name;
    }

    /// <summary>A float initializer of uniform random values in [low, high).</summary>
    public string Random(long[] dims, float low = -1f, float high = 1f)
    {
        var values = new float[dims.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = low + (high - low) * random.NextSingle();
        }
        return Floats(dims, values);
    }

    /// <summary>A float initializer with the given values.</summary>
    public string Floats(long[] dims, params float[] values) =>
        AddInitializer(Tensors.Floating(FreshName("w"), DataType.Float, dims, values));

    /// <summary>A 0-D float initializer.</summary>
    public string Scalar(float value) => Floats([], value);

    /// <summary>A 0-D bool initializer (Dropout's training_mode).</summary>
    public string Bool(bool value)
    {
        var tensor = new TensorProto { Name = FreshName("b"), DataType = (int)DataType.Bool };
        tensor.Int32Data.Add(value ? 1 : 0);
        return AddInitializer(tensor);
    }

    /// <summary>A 0-D int64 initializer (an index).</summary>
    public string Int(long value) => AddInitializer(Tensors.Int64(FreshName("i"), [], [value]));

    /// <summary>A 1-D int64 initializer (shapes, axes, split sizes).</summary>
    public string Ints(params long[] values) => AddInitializer(Tensors.Int64(FreshName("i"), [values.Length], values));

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Nodes(opType, inputs, 1, attributes)[0];

    /// <summary>
    /// Adds a node named OpType_i with outputs OpType_i_y0, OpType_i_y1, ... and returns them. An
    /// empty input name stands for an omitted optional input.
    /// </summary>
    public string[] Nodes(string opType, IEnumerable<string> inputs, int outputCount, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = FreshName(opType) };
        node.Input.AddRange(inputs);
        var outputs = Enumerable.Range(0, outputCount).Select(i => outputCount == 1 ? $"{node.Name}_y" : $"{node.Name}_y{i}").ToArray();
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Declares a graph output (its type left to inference, as exporters often do for shapes).</summary>
    public TestGraph Output(string tensor)
    {
        graph.Output.Add(new ValueInfoProto
        {
            Name = tensor,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
        });
        return this;
    }

    public ModelProto Build()
    {
        var model = new ModelProto { IrVersion = IrVersion, ProducerName = "CamService.Onnx.Tests", Graph = graph.Clone() };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (InitializersAsInputs)
        {
            model.Graph.Input.AddRange(model.Graph.Initializer.Select(t => Value(t.Name, Shape(t.Dims), (DataType)t.DataType)));
        }
        return model;
    }

    /// <summary>
    /// Saves <paramref name="model"/> with every initializer's bytes in <c>{path}.data</c>, written
    /// here rather than by the product so the loader is tested against an independent writer.
    /// </summary>
    public static void SaveWithExternalData(ModelProto model, string path)
    {
        var copy = model.Clone();
        var dataName = Path.GetFileName(path) + ".data";
        using (var data = File.Create(path + ".data"))
        {
            foreach (var tensor in copy.Graph.Initializer)
            {
                var offset = data.Position;
                tensor.RawData.WriteTo(data);
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensor.RawData.Length.ToString() });
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.RawData = ByteString.Empty;
            }
        }
        File.WriteAllBytes(path, copy.ToByteArray());
    }

    string AddInitializer(TensorProto tensor)
    {
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    string FreshName(string prefix) => $"{prefix}_{counter++}";

    static TensorShapeProto Shape(IEnumerable<long> dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return shape;
    }

    static ValueInfoProto Value(string name, TensorShapeProto shape, DataType type = DataType.Float) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
    };

    /// <summary>The IR version ONNX released together with an opset (onnx/docs/Versioning.md).</summary>
    static long IrVersionOf(int opset) => opset switch
    {
        <= 8 => 3,
        9 => 4,
        10 => 5,
        11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };
}
