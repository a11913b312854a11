namespace CamService.Onnx.Gradients.Rules.Shape;

/// <summary>Reshape only rearranges elements: the gradient is reshaped back to the input's shape.</summary>
public sealed class ReshapeRule : UnaryGradientRule
{
    public override string OpType => "Reshape";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0, context.ReshapeAsGradientOf(context.OutputGradient()!, context.Input(0)));
}
