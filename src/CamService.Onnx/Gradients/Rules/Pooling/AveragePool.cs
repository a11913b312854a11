using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>
/// Y = windowed mean of X. Each window's gradient, divided by its element count, is spread back
/// over the window: a transposed convolution with a kernel of ones, one channel at a time.
/// </summary>
public sealed class AveragePoolRule : UnaryGradientRule
{
    public override string OpType => "AveragePool";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var input = context.Input(0);
        var output = context.Output();
        var window = WindowGeometry.Of(context);
        var spatial = Enumerable.Range(2, window.SpatialRank).Select(i => (long)i).ToArray();
        var ones = emit.Floats([1, 1, .. window.Kernel], Enumerable.Repeat(1f, (int)window.Kernel.Aggregate(1L, (a, b) => a * b)).ToArray());

        // [T, N, C, ...out] -> [T*N*C, 1, ...out]: every channel is pooled on its own.
        var perChannel = emit.Reshape(context.OutputGradient()!,
            emit.Concat(0, emit.Int64s(-1, 1), emit.Pick(emit.Shape(output), spatial)));

        string scaled;
        var countsPadding = context.Node.GetInt("count_include_pad", 0) == 0 && window.Pads.Any(p => p != 0);
        if (countsPadding)
        {
            // Windows at the border average fewer elements: count them with the same window over ones.
            var onesLikeInput = emit.Node("ConstantOfShape",
                [emit.Concat(0, emit.Int64s(1, 1), emit.Pick(emit.Shape(input), spatial))],
                Attributes.Tensor("value", Tensors.Floating("value", emit.FloatType, [1], [1f])));
            var counts = emit.Node("Conv", [onesLikeInput, ones],
                Attributes.Ints("kernel_shape", window.Kernel),
                Attributes.Ints("strides", window.Strides),
                Attributes.Ints("dilations", window.Dilations),
                Attributes.Ints("pads", window.Pads));
            scaled = emit.Div(perChannel, counts);
        }
        else
        {
            scaled = emit.Mul(perChannel, emit.Scalar(1f / window.Kernel.Aggregate(1L, (a, b) => a * b)));
        }

        var spread = emit.Node("ConvTranspose", [scaled, ones], window.TransposedConvolutionAttributes());
        context.AddInputGradient(0, context.ReshapeAsGradientOf(spread, input));
    }
}
