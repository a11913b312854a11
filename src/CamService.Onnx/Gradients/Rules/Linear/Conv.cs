using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Linear;

/// <summary>
/// Y = conv(X, W) + B. The gradient with respect to X is the transposed convolution of g with the
/// same weights, strides, dilations, pads and groups (depthwise included); the T axis is folded
/// into the batch for it. Gradients with respect to W and B are not needed for CAMs.
/// </summary>
public sealed class ConvRule : UnaryGradientRule
{
    public override string OpType => "Conv";

    protected override InputRole NonDataInputRole => InputRole.Unsupported;

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var input = context.Input(0);
        var weights = context.Input(1);
        var output = context.Output();
        var kernel = context.StaticShape(weights)[2..];
        var window = WindowGeometry.Of(context, context.Node.GetInts("kernel_shape") ?? kernel);
        var group = context.Node.GetInt("group", 1);

        var rank = context.Rank(output);
        var folded = emit.Reshape(context.OutputGradient()!,
            emit.Concat(0, emit.Int64s(-1), emit.Pick(emit.Shape(output), Enumerable.Range(1, rank - 1).Select(i => (long)i).ToArray())));
        var spread = emit.Node("ConvTranspose", [folded, weights], window.TransposedConvolutionAttributes(group));
        context.AddInputGradient(0, context.ReshapeAsGradientOf(spread, input));
    }
}
