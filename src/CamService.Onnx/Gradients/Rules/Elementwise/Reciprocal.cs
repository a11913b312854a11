namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>Y = 1 / X: -g * Y².</summary>
public sealed class ReciprocalRule : UnaryGradientRule
{
    public override string OpType => "Reciprocal";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var y = context.Output();
        context.AddInputGradient(0, emit.Neg(emit.Mul(context.OutputGradient()!, emit.Mul(y, y))));
    }
}
