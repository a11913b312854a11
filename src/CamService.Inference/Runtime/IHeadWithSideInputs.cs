using Microsoft.ML.OnnxRuntime;

namespace CamService.Inference.Runtime;

/// <summary>A model whose head can be evaluated with one image's side inputs.</summary>
internal interface IHeadWithSideInputs
{
    void EvaluateHead(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken, IReadOnlyList<OrtValue> sideInputs);
}
