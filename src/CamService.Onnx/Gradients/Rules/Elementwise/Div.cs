namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>Y = A / B: dA = g / B and dB = -g * Y / B, each summed over its broadcast axes.</summary>
public sealed class DivRule : GradientRule
{
    public override string OpType => "Div";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var gradient = context.OutputGradient()!;
        var (a, b, y) = (context.Input(0), context.Input(1), context.Output());
        if (context.NeedsGradient(0))
        {
            context.AddInputGradient(0, context.Unbroadcast(emit.Div(gradient, b), a, y));
        }
        if (context.NeedsGradient(1))
        {
            var dB = emit.Neg(emit.Div(emit.Mul(gradient, y), b));
            context.AddInputGradient(1, context.Unbroadcast(dB, b, y));
        }
    }
}
