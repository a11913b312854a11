using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Structure;

/// <summary>Y = concat(X1, X2, ...) along an axis: the gradient is split back into the inputs' pieces.</summary>
public sealed class ConcatRule : GradientRule
{
    public override string OpType => "Concat";

    public override void Backward(GradientContext context)
    {
        var rank = context.Rank(context.Output());
        var axis = GradientContext.NormalizeAxis(context.Node.GetInt("axis", 1), rank);
        if (axis == 0)
        {
            throw context.Unsupported("concatenation along the batch axis mixes images");
        }
        var sizes = Enumerable.Range(0, context.InputCount).Select(i => context.StaticShape(context.Input(i))[axis]).ToArray();
        var pieces = context.Emit.Split(context.OutputGradient()!, axis + 1, sizes);
        for (var i = 0; i < context.InputCount; i++)
        {
            if (context.NeedsGradient(i))
            {
                context.AddInputGradient(i, pieces[i]);
            }
        }
    }
}
