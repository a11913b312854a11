namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>Y = mean of X over its spatial axes: each input element gets g / (number of positions).</summary>
public sealed class GlobalAveragePoolRule : GradientRule
{
    public override string OpType => "GlobalAveragePool";

    public override void Backward(GradientContext context) =>
        context.AddInputGradient(0, MeanGradient(context, context.OutputGradient()!, context.Input(0), context.Output()));

    /// <summary>
    /// Spreads the gradient of a mean (output <paramref name="mean"/>, kept dims of size one) evenly
    /// over <paramref name="input"/>. The divisor is size(input) / size(mean), read at run time so
    /// models with free spatial sizes stay exact.
    /// </summary>
    internal static string MeanGradient(GradientContext context, string gradient, string input, string mean)
    {
        var emit = context.Emit;
        var ratio = emit.Div(emit.Cast(emit.Size(mean), emit.FloatType), emit.Cast(emit.Size(input), emit.FloatType));
        return emit.Expand(emit.Mul(gradient, ratio), context.GradientShapeOf(input));
    }
}
