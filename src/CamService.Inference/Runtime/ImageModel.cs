using Microsoft.ML.OnnxRuntime;
using CamService.Inference.Methods;

namespace CamService.Inference.Runtime;

/// <summary>
/// One image's view of a model: head evaluations take that image's side inputs (the tensors a transformer head reads from the
/// backbone), so methods call <see cref="ICamModel.EvaluateHead"/> as for any CNN. Copies them at the first head
/// evaluation, not before (most methods never evaluate the head), and owns the copies.
/// </summary>
public sealed class ImageModel : ICamModel, IDisposable
{
    readonly ICamModel model;
    readonly Func<OrtValue[]> copySideInputs;
    OrtValue[]? sideInputs;

    internal ImageModel(ICamModel model, Func<OrtValue[]> copySideInputs)
    {
        this.model = model;
        this.copySideInputs = copySideInputs;
    }

    public int Classes => model.Classes;

    public IReadOnlyList<int> ActivationShape => model.ActivationShape;

    public IReadOnlyList<int> ImageShape => model.ImageShape;

    public bool HeadIsLinear => model.HeadIsLinear;

    public void EvaluateHead(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken)
    {
        if (model is IHeadWithSideInputs head)
        {
            head.EvaluateHead(activations, batch, logits, cancellationToken, sideInputs ??= copySideInputs());
        }
        else
        {
            model.EvaluateHead(activations, batch, logits, cancellationToken);
        }
    }

    public void Forward(ReadOnlyMemory<float> images, int batch, Span<float> logits, CancellationToken cancellationToken) =>
        model.Forward(images, batch, logits, cancellationToken);

    public void Dispose()
    {
        foreach (var value in sideInputs ?? [])
        {
            value.Dispose();
        }
    }
}
