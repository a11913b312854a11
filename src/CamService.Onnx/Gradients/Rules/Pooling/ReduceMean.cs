using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>Y = mean of X over some axes: the gradient is spread evenly over the reduced axes.</summary>
public sealed class ReduceMeanRule : UnaryGradientRule
{
    public override string OpType => "ReduceMean";

    public override void Backward(GradientContext context)
    {
        var input = context.Input(0);
        var gradient = context.OutputGradient()!;
        if (context.Node.GetInt("keepdims", 1) == 0)
        {
            // Put the reduced axes back as size one, so the gradient broadcasts over them.
            var rank = context.Rank(input);
            var axes = Axes(context, rank);
            var dynamicShape = context.Emit.Shape(input);
            var pieces = new List<string> { context.TargetCount };
            for (var i = 0; i < rank; i++)
            {
                pieces.Add(axes.Contains(i) ? context.Emit.Int64s(1) : context.Emit.Pick(dynamicShape, i));
            }
            gradient = context.Emit.Reshape(gradient, context.Emit.Concat(0, pieces.ToArray()));
        }
        context.AddInputGradient(0, GlobalAveragePoolRule.MeanGradient(context, gradient, input, context.Output()));
    }

    static HashSet<long> Axes(GradientContext context, int rank)
    {
        var axes = context.Graph.ReduceAxes(context.Node);
        if (axes is null or [])
        {
            if (context.Opset >= 18 && context.InputCount > 1 && context.Input(1).Length > 0)
            {
                throw context.Unsupported("the reduced axes are not a constant");
            }
            if (context.Node.GetInt("noop_with_empty_axes", 0) == 1)
            {
                return [];
            }
            return Enumerable.Range(0, rank).Select(i => (long)i).ToHashSet();
        }
        return axes.Select(a => GradientContext.NormalizeAxis(a, rank)).ToHashSet();
    }
}
