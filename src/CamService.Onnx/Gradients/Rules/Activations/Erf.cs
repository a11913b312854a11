namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>Y = erf(X): g * 2/√π * e^(-X²).</summary>
public sealed class ErfRule : UnaryGradientRule
{
    public override string OpType => "Erf";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var x = context.Input(0);
        var bell = emit.Node("Exp", [emit.Neg(emit.Mul(x, x))]);
        var slope = emit.Mul(bell, emit.Scalar((float)(2 / Math.Sqrt(Math.PI))));
        context.AddInputGradient(0, emit.Mul(context.OutputGradient()!, slope));
    }
}
