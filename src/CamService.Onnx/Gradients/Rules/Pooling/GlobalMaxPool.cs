namespace CamService.Onnx.Gradients.Rules.Pooling;

/// <summary>
/// Y = max of X over its spatial axes: the gradient goes to the maximal element(s), shared evenly
/// when several tie.
/// </summary>
public sealed class GlobalMaxPoolRule : UnaryGradientRule
{
    public override string OpType => "GlobalMaxPool";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var input = context.Input(0);
        var spatial = Enumerable.Range(2, context.Rank(input) - 2).Select(i => (long)i).ToArray();
        // X >= max(X) means X == max(X); Equal takes floats only from opset 11.
        var isMax = emit.Cast(emit.Not(emit.Less(input, context.Output())), emit.FloatType);
        var ties = emit.ReduceSum(isMax, spatial, keepDims: true);
        context.AddInputGradient(0, emit.Mul(context.OutputGradient()!, emit.Div(isMax, ties)));
    }
}
