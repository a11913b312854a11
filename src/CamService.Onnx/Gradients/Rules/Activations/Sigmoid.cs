namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>Y = 1 / (1 + e^-X): g * Y * (1 - Y).</summary>
public sealed class SigmoidRule : UnaryGradientRule
{
    public override string OpType => "Sigmoid";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var y = context.Output();
        var slope = emit.Mul(y, emit.Sub(emit.Scalar(1f), y));
        context.AddInputGradient(0, emit.Mul(context.OutputGradient()!, slope));
    }
}
