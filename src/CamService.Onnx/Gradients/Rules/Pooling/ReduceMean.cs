namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>Y = mean of X over some axes: the gradient is spread evenly over the reduced axes.</summary>
public sealed class ReduceMeanRule : UnaryGradientRule
{
    public override string OpType => "ReduceMean";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0,
            GlobalAveragePoolRule.MeanGradient(context, Reduction.GradientWithKeptAxes(context), context.Input(0), context.Output(),
                Reduction.KeptShape(context)));
}
