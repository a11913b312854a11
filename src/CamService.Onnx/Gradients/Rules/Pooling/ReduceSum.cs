namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>Y = sum of X over some axes: every element of X gets the gradient of its sum, g broadcast back.</summary>
public sealed class ReduceSumRule : UnaryGradientRule
{
    public override string OpType => "ReduceSum";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0, context.Emit.Expand(Reduction.GradientWithKeptAxes(context), context.GradientShapeOf(context.Input(0))));
}
