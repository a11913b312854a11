namespace CamService.Inference.Explanations;

/// <summary>A model output that is NaN or infinite for an image: there is nothing to explain.</summary>
public sealed class NonFiniteOutputException(string output, string message) : Exception(message)
{
    /// <summary>logits, activations, gradients or map.</summary>
    public string Output { get; } = output;
}
