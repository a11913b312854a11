namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>Y = -X: -g.</summary>
public sealed class NegRule : UnaryGradientRule
{
    public override string OpType => "Neg";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0, context.Emit.Neg(context.OutputGradient()!));
}
