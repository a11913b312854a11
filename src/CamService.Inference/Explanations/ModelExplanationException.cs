namespace CamService.Inference.Explanations;

/// <summary>
/// A model of several failed to explain the image for a reason of its own (<see cref="NonFiniteOutputException"/>,
/// <see cref="MethodUnavailableException"/> or <see cref="TargetException"/>, the inner exception): names the model.
/// </summary>
public sealed class ModelExplanationException(string model, Exception inner) : Exception(inner.Message, inner)
{
    /// <summary>The model's name.</summary>
    public string Model { get; } = model;
}
