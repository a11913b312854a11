namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>Y = e^X: g * Y.</summary>
public sealed class ExpRule : UnaryGradientRule
{
    public override string OpType => "Exp";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0, context.Emit.Mul(context.OutputGradient()!, context.Output()));
}
