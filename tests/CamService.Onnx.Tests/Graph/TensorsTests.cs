using CamService.Onnx.Graph;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.Tests.Graph;

public sealed class TensorsTests
{
    /// <summary>Exporters write bool constants (Dropout's training_mode) either way.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadInts_ReadsBoolTensorsAsZeroAndOne(bool raw)
    {
        var tensor = new TensorProto { DataType = (int)DataType.Bool };
        tensor.Dims.Add(3);
        if (raw)
        {
            tensor.RawData = ByteString.CopyFrom(1, 0, 1);
        }
        else
        {
            tensor.Int32Data.AddRange([1, 0, 1]);
        }

        Assert.Equal([1L, 0L, 1L], Tensors.ReadInts(tensor)!);
    }
}
