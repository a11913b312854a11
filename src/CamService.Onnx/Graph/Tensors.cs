using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.Graph;

/// <summary>Builds and reads small constant tensors (shapes, axes, scalars).</summary>
public static class Tensors
{
    public static TensorProto Int64(string name, long[] dims, ReadOnlySpan<long> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return tensor;
    }

    /// <summary>A floating-point tensor of <paramref name="type"/> (float, double or float16).</summary>
    public static TensorProto Floating(string name, DataType type, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.AddRange(dims);
        tensor.RawData = type switch
        {
            DataType.Float => ByteString.CopyFrom(MemoryMarshal.AsBytes(values)),
            DataType.Double => ByteString.CopyFrom(MemoryMarshal.AsBytes<double>(ToDoubles(values))),
            DataType.Float16 => ByteString.CopyFrom(MemoryMarshal.AsBytes<Half>(ToHalves(values))),
            _ => throw new NotSupportedException($"Tensors of type {type} are not floating point."),
        };
        return tensor;
    }

    /// <summary>The integer values of an int64, int32 or bool (as 0 and 1) tensor, or null for other types.</summary>
    public static long[]? ReadInts(TensorProto tensor)
    {
        switch ((DataType)tensor.DataType)
        {
            // Flags such as Dropout's training_mode are bool: one byte each when raw, else in int32_data.
            case DataType.Bool:
                return tensor.RawData.IsEmpty
                    ? tensor.Int32Data.Select(v => v != 0 ? 1L : 0L).ToArray()
                    : tensor.RawData.Span.ToArray().Select(b => b != 0 ? 1L : 0L).ToArray();
            case DataType.Int64:
                return tensor.RawData.IsEmpty
                    ? tensor.Int64Data.ToArray()
                    : MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray();
            case DataType.Int32:
                return tensor.RawData.IsEmpty
                    ? tensor.Int32Data.Select(v => (long)v).ToArray()
                    : MemoryMarshal.Cast<byte, int>(tensor.RawData.Span).ToArray().Select(v => (long)v).ToArray();
            default:
                return null;
        }
    }

    /// <summary>The values of a float tensor, or null for other types.</summary>
    public static float[]? ReadFloats(TensorProto tensor)
    {
        if ((DataType)tensor.DataType != DataType.Float)
        {
            return null;
        }
        return tensor.RawData.IsEmpty
            ? tensor.FloatData.ToArray()
            : MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
    }

    public static long ElementCount(TensorProto tensor) => tensor.Dims.Aggregate(1L, (a, b) => a * b);

    static double[] ToDoubles(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }
        return result;
    }

    static Half[] ToHalves(ReadOnlySpan<float> values)
    {
        var result = new Half[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = (Half)values[i];
        }
        return result;
    }
}
