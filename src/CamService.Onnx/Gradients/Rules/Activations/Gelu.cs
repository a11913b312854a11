using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>
/// Y = X * Φ(X) (opset 20), each form differentiated exactly:
/// approximate "none", Φ(X) = (1 + erf(X/√2)) / 2: the slope is Φ(X) + X * e^(-X²/2) / √(2π);
/// approximate "tanh", Y = X/2 * (1 + tanh(u)), u = √(2/π) (X + 0.044715 X³): the slope is
/// (1 + tanh(u)) / 2 + X/2 * (1 - tanh²(u)) * √(2/π) (1 + 3 * 0.044715 X²).
/// </summary>
public sealed class GeluRule : UnaryGradientRule
{
    const float Cubic = 0.044715f;

    public override string OpType => "Gelu";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var x = context.Input(0);
        var squared = emit.Mul(x, x);
        var approximate = context.Node.GetString("approximate", "none");
        string slope;
        switch (approximate)
        {
            case "none":
                var cdf = emit.Mul(emit.Add(emit.Node("Erf", [emit.Mul(x, emit.Scalar((float)(1 / Math.Sqrt(2))))]), emit.Scalar(1f)), emit.Scalar(0.5f));
                var pdf = emit.Mul(emit.Node("Exp", [emit.Mul(squared, emit.Scalar(-0.5f))]), emit.Scalar((float)(1 / Math.Sqrt(2 * Math.PI))));
                slope = emit.Add(cdf, emit.Mul(x, pdf));
                break;
            case "tanh":
                var scale = emit.Scalar((float)Math.Sqrt(2 / Math.PI));
                var inner = emit.Mul(scale, emit.Add(x, emit.Mul(emit.Scalar(Cubic), emit.Mul(squared, x))));
                var tanh = emit.Node("Tanh", [inner]);
                var half = emit.Mul(emit.Add(tanh, emit.Scalar(1f)), emit.Scalar(0.5f));
                var innerSlope = emit.Mul(scale, emit.Add(emit.Scalar(1f), emit.Mul(emit.Scalar(3 * Cubic), squared)));
                var sech2 = emit.Sub(emit.Scalar(1f), emit.Mul(tanh, tanh));
                slope = emit.Add(half, emit.Mul(emit.Mul(x, emit.Scalar(0.5f)), emit.Mul(sech2, innerSlope)));
                break;
            default:
                throw context.Unsupported($"approximate '{approximate}' is not an ONNX value");
        }
        context.AddInputGradient(0, emit.Mul(context.OutputGradient()!, slope));
    }
}
