namespace CamService.Inference.Methods;

/// <summary>What methods beyond one pass may ask of a model: its head alone, or whole forward passes, batched.</summary>
public interface ICamModel
{
    int Classes { get; }

    /// <summary>[K, h, w] of the target layer at the model's input size.</summary>
    IReadOnlyList<int> ActivationShape { get; }

    /// <summary>The shape of one image as the model takes it (no batch): [3, H, W] or [H, W, 3].</summary>
    IReadOnlyList<int> ImageShape { get; }

    /// <summary>Whether the head is affine in the activations (pooling and fully connected layers only).</summary>
    bool HeadIsLinear { get; }

    /// <summary>Logits [batch, C] of the head alone on activations [batch, K, h, w].</summary>
    void EvaluateHead(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken);

    /// <summary>Logits [batch, C] of whole forward passes on images [batch, image shape].</summary>
    void Forward(ReadOnlyMemory<float> images, int batch, Span<float> logits, CancellationToken cancellationToken);
}
