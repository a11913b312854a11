using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>What the gradients of ReduceMean and ReduceSum share: the output's gradient with the reduced axes kept.</summary>
internal static class Reduction
{
    /// <summary>
    /// The output gradient, with the reduced axes that keepdims = 0 dropped put back as size one so that the gradient
    /// broadcasts over them: one Unsqueeze at the reduced axes (shifted by the leading target axis), which needs no
    /// shape read at run time.
    /// </summary>
    public static string GradientWithKeptAxes(GradientContext context)
    {
        var gradient = context.OutputGradient()!;
        if (context.Node.GetInt("keepdims", 1) != 0)
        {
            return gradient;
        }
        var axes = Axes(context, context.Rank(context.Input(0)));
        return axes.Count == 0 ? gradient : context.Emit.Unsqueeze(gradient, axes.Order().Select(a => a + 1).ToArray());
    }

    /// <summary>The output's probed shape with the reduced axes kept as size one, whatever keepdims says.</summary>
    public static long[] KeptShape(GradientContext context)
    {
        var input = context.StaticShape(context.Input(0));
        var axes = Axes(context, input.Length);
        return input.Select((size, axis) => axes.Contains(axis) ? 1L : size).ToArray();
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
