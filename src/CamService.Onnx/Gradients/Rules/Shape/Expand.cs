namespace CamService.Onnx.Gradients.Rules.Shape;

/// <summary>Y = X broadcast to a shape: g summed over the axes X was broadcast along.</summary>
public sealed class ExpandRule : UnaryGradientRule
{
    public override string OpType => "Expand";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0, context.Unbroadcast(context.OutputGradient()!, context.Input(0), context.Output()));
}
