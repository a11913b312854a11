namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>Y = max(X, 0): g where X &gt; 0, else 0 (0 at X = 0, as PyTorch).</summary>
public sealed class ReluRule : UnaryGradientRule
{
    public override string OpType => "Relu";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var positive = emit.Greater(context.Input(0), emit.Scalar(0f));
        context.AddInputGradient(0, emit.Where(positive, context.OutputGradient()!, emit.Scalar(0f)));
    }
}
