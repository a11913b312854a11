using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Activations;

/// <summary>Y = softmax(X) over its axes: dX = Y * (g - Σ g * Y), the sum over those axes.</summary>
public sealed class SoftmaxRule : UnaryGradientRule
{
    public override string OpType => "Softmax";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var y = context.Output();
        var weighted = emit.Mul(context.OutputGradient()!, y);
        var total = emit.ReduceSum(weighted, GradientAxes(context), keepDims: true);
        context.AddInputGradient(0, emit.Sub(weighted, emit.Mul(y, total)));
    }

    /// <summary>
    /// The gradient's axes a (Log)Softmax normalises over: from opset 13 the one axis (default -1);
    /// before, the input is coerced to 2-D at the axis (default 1), so every axis from it on.
    /// </summary>
    internal static long[] GradientAxes(GradientContext context)
    {
        var rank = context.Rank(context.Input(0));
        var coerced = context.Opset < 13;
        var axis = GradientContext.NormalizeAxis(context.Node.GetInt("axis", coerced ? 1 : -1), rank);
        if (axis == 0)
        {
            throw context.Unsupported("normalising over the batch axis mixes images");
        }
        var last = coerced ? rank - 1 : axis;
        return Enumerable.Range((int)axis + 1, (int)(last - axis) + 1).Select(i => (long)i).ToArray();
    }
}
