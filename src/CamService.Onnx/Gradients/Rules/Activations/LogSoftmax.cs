namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>Y = X - log Σ e^X over its axes: dX = g - e^Y * Σ g (axes as <see cref="SoftmaxRule"/>).</summary>
public sealed class LogSoftmaxRule : UnaryGradientRule
{
    public override string OpType => "LogSoftmax";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var gradient = context.OutputGradient()!;
        var total = emit.ReduceSum(gradient, SoftmaxRule.GradientAxes(context), keepDims: true);
        context.AddInputGradient(0, emit.Sub(gradient, emit.Mul(emit.Node("Exp", [context.Output()]), total)));
    }
}
