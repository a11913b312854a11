namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>Y = A - B: dA = g and dB = -g, each summed over its broadcast axes.</summary>
public sealed class SubRule : GradientRule
{
    public override string OpType => "Sub";

    public override void Backward(GradientContext context)
    {
        var gradient = context.OutputGradient()!;
        if (context.NeedsGradient(0))
        {
            context.AddInputGradient(0, context.Unbroadcast(gradient, context.Input(0), context.Output()));
        }
        if (context.NeedsGradient(1))
        {
            context.AddInputGradient(1, context.Unbroadcast(context.Emit.Neg(gradient), context.Input(1), context.Output()));
        }
    }
}
