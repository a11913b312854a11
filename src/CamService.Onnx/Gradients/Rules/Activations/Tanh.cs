namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>Y = tanh(X): g * (1 - Y²).</summary>
public sealed class TanhRule : UnaryGradientRule
{
    public override string OpType => "Tanh";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var y = context.Output();
        var slope = emit.Sub(emit.Scalar(1f), emit.Mul(y, y));
        context.AddInputGradient(0, emit.Mul(context.OutputGradient()!, slope));
    }
}
