namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>
/// Y = X ^ E: dX = g * E * X^(E - 1) and dE = g * Y * ln(X), each summed over its broadcast axes.
/// E may be an integer tensor (opset 12 on); it is cast to the activations' type for the products.
/// </summary>
public sealed class PowRule : GradientRule
{
    public override string OpType => "Pow";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var gradient = context.OutputGradient()!;
        var (x, y) = (context.Input(0), context.Output());
        if (context.NeedsGradient(0))
        {
            var exponent = emit.Cast(context.Input(1), emit.FloatType);
            var slope = emit.Mul(exponent, emit.Node("Pow", [x, emit.Sub(exponent, emit.Scalar(1f))]));
            context.AddInputGradient(0, context.Unbroadcast(emit.Mul(gradient, slope), x, y));
        }
        if (context.NeedsGradient(1))
        {
            var dE = emit.Mul(gradient, emit.Mul(y, emit.Node("Log", [x])));
            context.AddInputGradient(1, context.Unbroadcast(dE, context.Input(1), y));
        }
    }
}
