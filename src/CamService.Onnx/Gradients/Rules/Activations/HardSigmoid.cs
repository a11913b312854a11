using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>Y = clamp(alpha * X + beta, 0, 1): alpha * g where 0 &lt; alpha * X + beta &lt; 1, else 0.</summary>
public sealed class HardSigmoidRule : UnaryGradientRule
{
    public override string OpType => "HardSigmoid";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var alpha = context.Node.GetFloat("alpha", 0.2f);
        var beta = context.Node.GetFloat("beta", 0.5f);
        var linear = emit.Add(emit.Mul(context.Input(0), emit.Scalar(alpha)), emit.Scalar(beta));
        var inside = emit.And(emit.Greater(linear, emit.Scalar(0f)), emit.Less(linear, emit.Scalar(1f)));
        var scaled = emit.Mul(context.OutputGradient()!, emit.Scalar(alpha));
        context.AddInputGradient(0, emit.Where(inside, scaled, emit.Scalar(0f)));
    }
}
