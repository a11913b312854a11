using Onnx;

namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>
/// Y = X where C else Y': dX = g where C else 0, dY' = 0 where C else g, each summed over its
/// broadcast axes. The condition is boolean and carries no gradient.
/// </summary>
public sealed class WhereRule : GradientRule
{
    public override string OpType => "Where";

    public override InputRole RoleOf(NodeProto node, int inputIndex) =>
        inputIndex == 0 ? InputRole.NotDifferentiable : InputRole.Differentiable;

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var gradient = context.OutputGradient()!;
        var (condition, zero) = (context.Input(0), emit.Scalar(0f));
        if (context.NeedsGradient(1))
        {
            context.AddInputGradient(1, context.Unbroadcast(emit.Where(condition, gradient, zero), context.Input(1), context.Output()));
        }
        if (context.NeedsGradient(2))
        {
            context.AddInputGradient(2, context.Unbroadcast(emit.Where(condition, zero, gradient), context.Input(2), context.Output()));
        }
    }
}
