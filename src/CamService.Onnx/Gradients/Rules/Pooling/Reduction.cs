using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>What the gradients of ReduceMean and ReduceSum share: the output's gradient with the reduced axes kept.</summary>
internal static class Reduction
{
    /// <summary>
    /// The output gradient, reshaped where keepdims = 0 dropped the reduced axes so that they are
    /// back as size one and the gradient broadcasts over them.
    /// </summary>
    public static string GradientWithKeptAxes(GradientContext context)
    {
        var gradient = context.OutputGradient()!;
        if (context.Node.GetInt("keepdims", 1) != 0)
        {
            return gradient;
        }
        var emit = context.Emit;
        var input = context.Input(0);
        var rank = context.Rank(input);
        var axes = Axes(context, rank);
        var dynamicShape = emit.Shape(input);
        var pieces = new List<string> { context.TargetCount };
        for (var i = 0; i < rank; i++)
        {
            pieces.Add(axes.Contains(i) ? emit.Int64s(1) : emit.Pick(dynamicShape, i));
        }
        return emit.Reshape(gradient, emit.Concat(0, pieces.ToArray()));
    }

    /// <summary>
    /// The reduced axes: an attribute, or a constant input (ReduceSum from opset 13, the others from
    /// 18); none means all of them, or none at all with noop_with_empty_axes.
    /// </summary>
    static HashSet<long> Axes(GradientContext context, int rank)
    {
        var axes = context.Graph.ReduceAxes(context.Node);
        if (axes is null && context.InputCount > 1 && context.Input(1).Length > 0)
        {
            throw context.Unsupported("the reduced axes are not a constant");
        }
        if (axes is null or [])
        {
            return context.Node.GetInt("noop_with_empty_axes", 0) == 1 ? [] : Enumerable.Range(0, rank).Select(i => (long)i).ToHashSet();
        }
        return axes.Select(a => GradientContext.NormalizeAxis(a, rank)).ToHashSet();
    }
}
