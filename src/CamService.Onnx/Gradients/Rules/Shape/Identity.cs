namespace CamService.Onnx.Gradients.Rules.Shape;

/// <summary>Y = X: the gradient passes through.</summary>
public sealed class IdentityRule : UnaryGradientRule
{
    public override string OpType => "Identity";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0, context.OutputGradient()!);
}
