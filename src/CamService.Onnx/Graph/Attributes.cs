using Google.Protobuf;
using Onnx;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace CamService.Onnx.Graph;

/// <summary>Reads node attributes with their ONNX defaults, and builds new ones.</summary>
public static class Attributes
{
    public static AttributeProto? Find(this NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name);

    public static long GetInt(this NodeProto node, string name, long fallback) =>
        node.Find(name) is { } a ? a.I : fallback;

    public static float GetFloat(this NodeProto node, string name, float fallback) =>
        node.Find(name) is { } a ? a.F : fallback;

    public static string GetString(this NodeProto node, string name, string fallback) =>
        node.Find(name) is { } a ? a.S.ToStringUtf8() : fallback;

    public static long[]? GetInts(this NodeProto node, string name) =>
        node.Find(name) is { } a ? a.Ints.ToArray() : null;

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Floats(string name, IEnumerable<float> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeType.Floats };
        attribute.Floats.AddRange(values);
        return attribute;
    }

    public static AttributeProto Tensor(string name, TensorProto value) =>
        new() { Name = name, Type = AttributeType.Tensor, T = value };
}
