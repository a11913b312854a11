using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Shape;

/// <summary>Y = transpose(X, perm): the gradient is transposed by the inverse permutation (T stays first).</summary>
public sealed class TransposeRule : UnaryGradientRule
{
    public override string OpType => "Transpose";

    public override void Backward(GradientContext context)
    {
        var rank = context.Rank(context.Input(0));
        var perm = context.Node.GetInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        var inverse = new long[rank + 1];
        for (var i = 0; i < rank; i++)
        {
            inverse[perm[i] + 1] = i + 1;
        }
        context.AddInputGradient(0, context.Emit.Transpose(context.OutputGradient()!, inverse));
    }
}
