namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>
/// Y = X * clamp(X / 6 + 1/2, 0, 1): the slope is 0 below -3, X / 3 + 1/2 between -3 and 3, and 1
/// above 3 (PyTorch's hardswish backward).
/// </summary>
public sealed class HardSwishRule : UnaryGradientRule
{
    public override string OpType => "HardSwish";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var x = context.Input(0);
        var middle = emit.Add(emit.Div(x, emit.Scalar(3f)), emit.Scalar(0.5f));
        var belowTop = emit.Where(emit.Greater(x, emit.Scalar(3f)), emit.Scalar(1f), middle);
        var slope = emit.Where(emit.Less(x, emit.Scalar(-3f)), emit.Scalar(0f), belowTop);
        context.AddInputGradient(0, emit.Mul(context.OutputGradient()!, slope));
    }
}
