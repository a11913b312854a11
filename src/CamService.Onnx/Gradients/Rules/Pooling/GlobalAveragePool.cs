namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>Y = mean of X over its spatial axes: each input element gets g / (number of positions).</summary>
public sealed class GlobalAveragePoolRule : GradientRule
{
    public override string OpType => "GlobalAveragePool";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0, MeanGradient(context, context.OutputGradient()!, context.Input(0), context.Output(), context.StaticShape(context.Output())));

    /// <summary>
    /// Spreads the gradient of a mean (output <paramref name="mean"/>, whose shape with the reduced axes kept as size one is
    /// <paramref name="keptShape"/>) evenly over <paramref name="input"/>: one broadcast Mul of g by a constant holding
    /// 1 / (positions averaged) in the shape of the reduced axes. The model's image size is pinned when it is made
    /// CAM-ready, so every axis but the batch keeps the size the probe saw; a mean over the batch axis reads its divisor
    /// and shape at run time instead.
    /// </summary>
    internal static string MeanGradient(GradientContext context, string gradient, string input, string mean, long[] keptShape)
    {
        var emit = context.Emit;
        var (inputShape, meanShape) = (context.StaticShape(input), keptShape);
        if (inputShape.Length == meanShape.Length && inputShape.Length > 1 && meanShape[0] == inputShape[0])
        {
            var spread = inputShape.Select((size, axis) => meanShape[axis] == size ? 1L : size).ToArray();
            var count = spread.Aggregate(1L, (a, b) => a * b);
            return emit.Mul(gradient, emit.Floats(spread, Enumerable.Repeat(1f / count, (int)count).ToArray()));
        }
        var ratio = emit.Div(emit.Cast(emit.Size(mean), emit.FloatType), emit.Cast(emit.Size(input), emit.FloatType));
        return emit.Expand(emit.Mul(gradient, ratio), context.GradientShapeOf(input));
    }
}
