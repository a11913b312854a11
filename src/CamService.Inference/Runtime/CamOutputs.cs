using Microsoft.ML.OnnxRuntime;
using CamService.Inference.Methods;

namespace CamService.Inference.Runtime;

/// <summary>The outputs of one run; spans are valid until disposal.</summary>
public sealed class CamOutputs(IDisposableReadOnlyCollection<OrtValue> values, int batch, int targets, int classes, int[] activationShape) : IDisposable
{
    public int Batch => batch;

    public int Targets => targets;

    public int Classes => classes;

    public int Channels => activationShape[0];

    public int Height => (int)values[1].GetTensorTypeAndShape().Shape[2];

    public int Width => (int)values[1].GetTensorTypeAndShape().Shape[3];

    /// <summary>[N, C].</summary>
    public ReadOnlySpan<float> Logits => values[0].GetTensorDataAsSpan<float>();

    /// <summary>[N, K, h, w].</summary>
    public ReadOnlySpan<float> Activations => values[1].GetTensorDataAsSpan<float>();

    /// <summary>[N, T, K, h, w].</summary>
    public ReadOnlySpan<float> Gradients => values[2].GetTensorDataAsSpan<float>();

    public ReadOnlySpan<float> LogitsOf(int image) => Logits.Slice(image * classes, classes);

    public ReadOnlySpan<float> ActivationsOf(int image)
    {
        var size = Channels * Height * Width;
        return Activations.Slice(image * size, size);
    }

    public ReadOnlySpan<float> GradientsOf(int image, int target)
    {
        var size = Channels * Height * Width;
        return Gradients.Slice((image * targets + target) * size, size);
    }

    /// <summary>Image <paramref name="image"/>'s values of the tensors the head reads from the backbone, each with batch 1 (copies).</summary>
    public OrtValue[] SideInputsOf(int image)
    {
        var sides = new OrtValue[values.Count - 3];
        for (var i = 0; i < sides.Length; i++)
        {
            var value = values[3 + i];
            var shape = value.GetTensorTypeAndShape().Shape;
            var size = (int)shape.Skip(1).Aggregate(1L, (a, b) => a * b);
            var copy = value.GetTensorDataAsSpan<float>().Slice(image * size, size).ToArray();
            sides[i] = OrtValue.CreateTensorValueFromMemory(copy, [1, .. shape[1..]]);
        }
        return sides;
    }

    public void Dispose() => values.Dispose();
}
