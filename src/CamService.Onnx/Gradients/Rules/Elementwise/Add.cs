namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>Y = A + B: each input gets g, summed over the axes it was broadcast along.</summary>
public sealed class AddRule : GradientRule
{
    public override string OpType => "Add";

    public override void Backward(GradientContext context)
    {
        var gradient = context.OutputGradient()!;
        for (var i = 0; i < 2; i++)
        {
            if (context.NeedsGradient(i))
            {
                context.AddInputGradient(i, context.Unbroadcast(gradient, context.Input(i), context.Output()));
            }
        }
    }
}
