namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>Y = X1 + X2 + ... (variadic): every input gets g, summed over its broadcast axes.</summary>
public sealed class SumRule : GradientRule
{
    public override string OpType => "Sum";

    public override void Backward(GradientContext context)
    {
        var gradient = context.OutputGradient()!;
        for (var i = 0; i < context.InputCount; i++)
        {
            if (context.NeedsGradient(i))
            {
                context.AddInputGradient(i, context.Unbroadcast(gradient, context.Input(i), context.Output()));
            }
        }
    }
}
