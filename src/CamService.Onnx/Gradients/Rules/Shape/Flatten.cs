namespace CamService.Onnx.Gradients.Rules.Shape;

/// <summary>Flatten only rearranges elements: the gradient is reshaped back to the input's shape.</summary>
public sealed class FlattenRule : UnaryGradientRule
{
    public override string OpType => "Flatten";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0, context.ReshapeAsGradientOf(context.OutputGradient()!, context.Input(0)));
}
