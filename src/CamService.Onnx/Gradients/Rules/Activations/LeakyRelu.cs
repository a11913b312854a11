using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>Y = X if X &gt; 0 else alpha * X: g where X &gt; 0, else alpha * g.</summary>
public sealed class LeakyReluRule : UnaryGradientRule
{
    public override string OpType => "LeakyRelu";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var alpha = context.Node.GetFloat("alpha", 0.01f);
        var slope = emit.Where(emit.Greater(context.Input(0), emit.Scalar(0f)), emit.Scalar(1f), emit.Scalar(alpha));
        context.AddInputGradient(0, emit.Mul(context.OutputGradient()!, slope));
    }
}
