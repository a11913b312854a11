using CamService.Inference.Runtime;
using CamService.Onnx.Graph;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CamService.Onnx.Tests.Support;

/// <summary>A float tensor read back from ONNX Runtime.</summary>
public sealed record FloatTensor(long[] Shape, float[] Values);

/// <summary>Runs a model once in ONNX Runtime, as the service would (full graph optimisation).</summary>
public static class Ort
{
    /// <summary>One thread per session: the test classes already run in parallel on few cores.</summary>
    static readonly ExecutionSettings Settings = new() { IntraOpThreads = 1 };

    /// <summary>
    /// Runs <paramref name="model"/> on float or int64 <paramref name="inputs"/> and returns the
    /// float <paramref name="outputs"/>, which need not be graph outputs yet: any tensor can be read.
    /// </summary>
    public static FloatTensor[] Run(ModelProto model, IEnumerable<(string Name, Array Data, long[] Shape)> inputs, params string[] outputs)
    {
        var withOutputs = model.Clone();
        withOutputs.Graph.Output.AddRange(outputs.Where(o => withOutputs.Graph.Output.All(d => d.Name != o))
            .Select(o => new ValueInfoProto { Name = o }));
        using var session = SessionFactory.Create(withOutputs.ToByteArray(), Settings).Session;

        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, data, shape) in inputs)
            {
                names.Add(name);
                values.Add(data switch
                {
                    float[] floats => OrtValue.CreateTensorValueFromMemory(floats, shape),
                    long[] longs => OrtValue.CreateTensorValueFromMemory(longs, shape),
                    _ => throw new ArgumentException($"Input '{name}' is neither float nor int64.", nameof(inputs)),
                });
            }
            using var results = session.RunWithOwnOptions(names, values, outputs);
            return results.Select(r => new FloatTensor(r.GetTensorTypeAndShape().Shape, r.GetTensorDataAsSpan<float>().ToArray())).ToArray();
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }
}
