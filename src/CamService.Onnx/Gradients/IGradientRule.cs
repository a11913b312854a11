using Onnx;

namespace CamService.Onnx.Gradients;

/// <summary>How a gradient treats one input slot of a node.</summary>
public enum InputRole
{
    /// <summary>The rule propagates a gradient into this input.</summary>
    Differentiable,

    /// <summary>An integer or structural input (a shape, axes, indices): no gradient exists.</summary>
    NotDifferentiable,

    /// <summary>A gradient exists but the rule does not compute it (a convolution's weights, say).</summary>
    Unsupported,
}

/// <summary>
/// The reverse-mode derivative of one ONNX operator. Gradients carry one extra leading axis of
/// size T (one slice per requested class), so the gradient of a tensor of shape S has shape
/// [T, ...S]; numpy broadcasting then lines forward tensors up with gradients for free.
/// </summary>
public interface IGradientRule
{
    /// <summary>The operator type in the default ONNX domain.</summary>
    string OpType { get; }

    InputRole RoleOf(NodeProto node, int inputIndex);

    /// <summary>Emits the gradients of the node's inputs from the gradients of its outputs.</summary>
    void Backward(GradientContext context);
}

/// <summary>A rule whose every input is differentiable, the common case.</summary>
public abstract class GradientRule : IGradientRule
{
    public abstract string OpType { get; }

    public virtual InputRole RoleOf(NodeProto node, int inputIndex) => InputRole.Differentiable;

    public abstract void Backward(GradientContext context);
}

/// <summary>A rule whose first input alone carries data; the others are shapes, axes or parameters.</summary>
public abstract class UnaryGradientRule : GradientRule
{
    public override InputRole RoleOf(NodeProto node, int inputIndex) =>
        inputIndex == 0 ? InputRole.Differentiable : NonDataInputRole;

    /// <summary>What the other inputs are: structural by default, parameters where they have gradients.</summary>
    protected virtual InputRole NonDataInputRole => InputRole.NotDifferentiable;
}
