using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.Gradients.Rules.Structure;

/// <summary>
/// Y = X with constant padding added (or, for negative pads, cropped) at the ends of its axes:
/// dX is g with the same pads removed (or, where they cropped, added back as zeros), one Pad of g
/// by the negated pads. Reflect, edge and wrap padding move values, not zeros, and are refused.
/// </summary>
public sealed class PadRule : UnaryGradientRule
{
    public override string OpType => "Pad";

    public override InputRole RoleOf(NodeProto node, int inputIndex) => inputIndex switch
    {
        0 => InputRole.Differentiable,
        2 => InputRole.Unsupported, // constant_value
        _ => InputRole.NotDifferentiable,
    };

    public override void Backward(GradientContext context)
    {
        var mode = context.Node.GetString("mode", "constant");
        if (mode != "constant")
        {
            throw context.Unsupported($"only constant padding is differentiated, not mode '{mode}'");
        }
        var rank = context.Rank(context.Input(0));
        var pads = (context.Opset >= 11 ? context.ConstantInts(1) : context.Node.GetInts("pads"))
            ?? throw context.Unsupported("its pads are not a constant");
        var axes = context.ConstantInts(3)?.Select(a => GradientContext.NormalizeAxis(a, rank)).ToArray();
        if (axes is null && context.InputCount > 3 && context.Input(3).Length > 0)
        {
            throw context.Unsupported("its axes are not a constant");
        }
        axes ??= Enumerable.Range(0, rank).Select(i => (long)i).ToArray();

        var (begins, ends) = (new long[rank], new long[rank]);
        for (var i = 0; i < axes.Length; i++)
        {
            begins[axes[i]] = -pads[i];
            ends[axes[i]] = -pads[i + axes.Length];
        }
        if (begins[0] != 0 || ends[0] != 0)
        {
            throw context.Unsupported("it pads the batch axis");
        }
        context.AddInputGradient(0, Padded(context, context.OutputGradient()!, begins, ends));
    }

    /// <summary>
    /// Zeros added (negative: elements removed) at the start and end of each of the forward tensor's
    /// axes in a [T, ...] gradient.
    /// </summary>
    internal static string Padded(GradientContext context, string gradient, long[] begins, long[] ends)
    {
        long[] pads = [0, .. begins, 0, .. ends];
        return context.Opset >= 11
            ? context.Emit.Node("Pad", [gradient, context.Emit.Int64s(pads)])
            : context.Emit.Node("Pad", [gradient], Attributes.Ints("pads", pads));
    }
}
