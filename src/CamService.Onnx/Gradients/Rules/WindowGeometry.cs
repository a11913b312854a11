using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.Gradients.Rules;

/// <summary>
/// The sliding-window attributes shared by Conv, AveragePool and MaxPool, with auto_pad resolved
/// to explicit pads and the output padding a transposed convolution needs to restore the input size.
/// </summary>
internal sealed record WindowGeometry(long[] Kernel, long[] Strides, long[] Dilations, long[] Pads, long[] OutputPadding)
{
    public int SpatialRank => Kernel.Length;

    /// <summary>Whether neighbouring windows share input positions.</summary>
    public bool Overlaps => Kernel.Select((k, i) => (k - 1) * Dilations[i] + 1 > Strides[i]).Any(o => o);

    /// <param name="context">The pooling or convolution node.</param>
    /// <param name="kernel">The kernel size, where the node has no kernel_shape attribute.</param>
    /// <param name="transposable">Whether a transposed convolution must restore the input size exactly.</param>
    public static WindowGeometry Of(GradientContext context, long[]? kernel = null, bool transposable = true)
    {
        var node = context.Node;
        var inputShape = context.StaticShape(context.Input(0));
        var outputShape = context.StaticShape(context.Output(0));
        var rank = inputShape.Length - 2;
        kernel ??= node.GetInts("kernel_shape") ?? throw context.Unsupported("it has no kernel_shape");
        var strides = node.GetInts("strides") ?? Ones(rank);
        var dilations = node.GetInts("dilations") ?? Ones(rank);
        var pads = ResolvePads(context, node, inputShape, kernel, strides, dilations);

        var outputPadding = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            var extent = (kernel[i] - 1) * dilations[i] + 1;
            var covered = (outputShape[i + 2] - 1) * strides[i] + extent - pads[i] - pads[i + rank];
            outputPadding[i] = inputShape[i + 2] - covered;
            if (transposable && outputPadding[i] < 0)
            {
                // Only ceil_mode windows reach past the padded input; their divisors differ per runtime.
                throw context.Unsupported("its windows run past the padded input (ceil_mode)");
            }
        }
        return new WindowGeometry(kernel, strides, dilations, pads, outputPadding);
    }

    /// <summary>Attributes for the ConvTranspose that maps output positions back onto the input.</summary>
    public AttributeProto[] TransposedConvolutionAttributes(long group = 1) =>
    [
        Attributes.Ints("strides", Strides),
        Attributes.Ints("dilations", Dilations),
        Attributes.Ints("pads", Pads),
        Attributes.Ints("output_padding", OutputPadding),
        Attributes.Int("group", group),
    ];

    static long[] ResolvePads(GradientContext context, NodeProto node, long[] inputShape, long[] kernel, long[] strides, long[] dilations)
    {
        var rank = kernel.Length;
        var autoPad = node.GetString("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                return node.GetInts("pads") ?? new long[2 * rank];
            case "VALID":
                return new long[2 * rank];
            case "SAME_UPPER":
            case "SAME_LOWER":
                var pads = new long[2 * rank];
                for (var i = 0; i < rank; i++)
                {
                    var size = inputShape[i + 2];
                    var output = (size + strides[i] - 1) / strides[i];
                    var extent = (kernel[i] - 1) * dilations[i] + 1;
                    var total = Math.Max(0, (output - 1) * strides[i] + extent - size);
                    var small = total / 2;
                    (pads[i], pads[i + rank]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
                }
                return pads;
            default:
                throw context.Unsupported($"auto_pad '{autoPad}' is not an ONNX value");
        }
    }

    static long[] Ones(int rank) => Enumerable.Repeat(1L, rank).ToArray();
}
