namespace CamService.Onnx.Gradients;

/// <summary>
/// The gradient cannot be built: names the operator, the node and the tensor, so nobody is left
/// with a silently wrong gradient.
/// </summary>
public sealed class GradientException(string message) : Exception(message)
{
    public static GradientException For(string opType, string nodeName, string tensor, string reason) =>
        new($"Cannot differentiate {opType} node '{nodeName}' with respect to '{tensor}': {reason}");
}
