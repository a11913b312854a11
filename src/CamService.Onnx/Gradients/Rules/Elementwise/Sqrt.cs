namespace CamService.Onnx.Gradients.Rules.Elementwise;

/// <summary>Y = √X: g / (2Y).</summary>
public sealed class SqrtRule : UnaryGradientRule
{
    public override string OpType => "Sqrt";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        context.AddInputGradient(0, emit.Mul(context.OutputGradient()!, emit.Div(emit.Scalar(0.5f), context.Output())));
    }
}
