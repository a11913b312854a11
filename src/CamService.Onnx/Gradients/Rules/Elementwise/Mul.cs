namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>
/// Y = A * B: dA = g * B and dB = g * A, each summed over its broadcast axes. SiLU exported as
/// x * sigmoid(x) needs no rule of its own: this rule and Sigmoid's add up to its derivative.
/// </summary>
public sealed class MulRule : GradientRule
{
    public override string OpType => "Mul";

    public override void Backward(GradientContext context)
    {
        var gradient = context.OutputGradient()!;
        for (var i = 0; i < 2; i++)
        {
            if (context.NeedsGradient(i))
            {
                var product = context.Emit.Mul(gradient, context.Input(1 - i));
                context.AddInputGradient(i, context.Unbroadcast(product, context.Input(i), context.Output()));
            }
        }
    }
}
