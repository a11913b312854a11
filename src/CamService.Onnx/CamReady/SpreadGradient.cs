using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.CamReady;

/// <summary>
/// The contract's gradients of an NCHW target are the gradient [T, N, K, h, w] with its first two axes swapped. A pooled
/// head's gradient is a spread: a Mul of a small [T, N, K, 1, 1] gradient by a constant that is one along those two axes
/// (a mean's 1 / positions over h × w). Swapping the small factor before that Mul gives the same products, written once
/// into the [N, T, K, h, w] output, instead of the spread tensor written and then copied again by the swap.
/// </summary>
internal static class SpreadGradient
{
    static readonly long[] SwapTargetsAndImages = [1, 0, 2, 3, 4];

    /// <summary>Emits <paramref name="output"/> = <paramref name="gradient"/> with its first two axes swapped.</summary>
    public static void EmitSwapped(GraphIndex graph, NodeEmitter emit, string gradient, string output)
    {
        if (graph.Producer(gradient) is { OpType: "Mul" } mul && graph.Consumers(gradient).Count == 0)
        {
            for (var i = 0; i < 2; i++)
            {
                // A constant of rank below 5 makes the other factor the rank-5 one, so the swap applies to it.
                if (ConstantDims(graph, mul.Input[i]) is { Length: < 5 } dims && dims.Reverse().Skip(3).All(d => d == 1))
                {
                    var inputs = mul.Input.ToArray();
                    inputs[1 - i] = emit.Transpose(inputs[1 - i], SwapTargetsAndImages);
                    emit.NodeTo(output, "Mul", inputs);
                    return;
                }
            }
        }
        emit.NodeTo(output, "Transpose", [gradient], Attributes.Ints("perm", SwapTargetsAndImages));
    }

    /// <summary>The dims of a constant tensor (a Constant node's value or an initializer), or null.</summary>
    static long[]? ConstantDims(GraphIndex graph, string tensor)
    {
        var value = graph.Producer(tensor) is { OpType: "Constant" } constant
            ? constant.Attribute.FirstOrDefault(a => a.Name == "value")?.T
            : graph.Initializer(tensor);
        return value?.Dims.ToArray();
    }
}
