using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Structure;

/// <summary>Y1, Y2, ... = split(X) along an axis: the outputs' gradients are concatenated, zeros for unused ones.</summary>
public sealed class SplitRule : UnaryGradientRule
{
    public override string OpType => "Split";

    public override void Backward(GradientContext context)
    {
        var rank = context.Rank(context.Input(0));
        var axis = GradientContext.NormalizeAxis(context.Node.GetInt("axis", 0), rank);
        var pieces = new string[context.Node.Output.Count];
        for (var i = 0; i < pieces.Length; i++)
        {
            pieces[i] = context.OutputGradient(i) ?? context.Emit.Zeros(context.GradientShapeOf(context.Output(i)));
        }
        context.AddInputGradient(0, context.Emit.Concat(axis + 1, pieces));
    }
}
