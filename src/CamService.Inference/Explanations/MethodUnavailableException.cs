namespace CamService.Inference.Explanations;

/// <summary>A method a model cannot serve (Ablation-CAM on a model whose head cannot run alone); the request's mistake, not a fault.</summary>
public sealed class MethodUnavailableException(string method, string model, string reason)
    : Exception($"Method '{method}' is unavailable for model '{model}': {reason}.")
{
    public string Method { get; } = method;

    public string Model { get; } = model;

    public string Reason { get; } = reason;
}
