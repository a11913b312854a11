namespace CamService.Onnx.Gradients.Rules.Linear;

/// <summary>
/// Y = A @ B with numpy batching: dA = g @ Bᵀ and dB = Aᵀ @ g (transposing the last two axes),
/// each summed over the batch axes its input was broadcast along. Where g is the one-hot seed
/// and B a matrix, g @ Bᵀ is a gather of B's columns (see <see cref="GemmRule"/>).
/// </summary>
public sealed class MatMulRule : GradientRule
{
    public override string OpType => "MatMul";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var a = context.Input(0);
        var b = context.Input(1);
        if (context.Rank(a) < 2 || context.Rank(b) < 2)
        {
            throw context.Unsupported("one-dimensional MatMul operands are not supported; use Gemm or reshape to 2-D");
        }
        var gradient = context.OutputGradient()!;
        var output = context.Output();
        if (context.NeedsGradient(0))
        {
            if (context.OneHotClasses(gradient) is { } classes && context.Rank(a) == 2 && context.Rank(b) == 2)
            {
                context.AddInputGradient(0, GemmRule.PickRows(emit, b, transB: false, classes));
            }
            else
            {
                var dA = emit.MatMul(gradient, SwapLastAxes(context, b));
                context.AddInputGradient(0, context.Unbroadcast(dA, a, output, matrixAxes: 2));
            }
        }
        if (context.NeedsGradient(1))
        {
            var dB = emit.MatMul(SwapLastAxes(context, a), gradient);
            context.AddInputGradient(1, context.Unbroadcast(dB, b, output, matrixAxes: 2));
        }
    }

    static string SwapLastAxes(GradientContext context, string tensor)
    {
        var rank = context.Rank(tensor);
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[rank - 1], perm[rank - 2]) = (perm[rank - 2], perm[rank - 1]);
        return context.Emit.Transpose(tensor, perm);
    }
}
