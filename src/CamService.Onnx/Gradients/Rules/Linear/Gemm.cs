using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Linear;

/// <summary>
/// Y = alpha * A' B' + beta * C, with A' = transA ? Aᵀ : A and B' likewise:
/// dA' = alpha * g B'ᵀ, dB' = alpha * A'ᵀ g, dC = beta * g summed over C's broadcast axes.
/// </summary>
public sealed class GemmRule : GradientRule
{
    public override string OpType => "Gemm";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var gradient = context.OutputGradient()!;
        var alpha = context.Node.GetFloat("alpha", 1f);
        var beta = context.Node.GetFloat("beta", 1f);
        var transA = context.Node.GetInt("transA", 0) != 0;
        var transB = context.Node.GetInt("transB", 0) != 0;
        var scaled = alpha == 1f ? gradient : emit.Mul(gradient, emit.Scalar(alpha));

        if (context.NeedsGradient(0))
        {
            // g [T, M, N] @ B'ᵀ [N, K] = dA' [T, M, K].
            var bT = transB ? context.Input(1) : emit.Transpose(context.Input(1), 1, 0);
            var dA = emit.MatMul(scaled, bT);
            context.AddInputGradient(0, transA ? emit.Transpose(dA, 0, 2, 1) : dA);
        }
        if (context.NeedsGradient(1))
        {
            // A'ᵀ [K, M] @ g [T, M, N] = dB' [T, K, N].
            var aT = transA ? context.Input(0) : emit.Transpose(context.Input(0), 1, 0);
            var dB = emit.MatMul(aT, scaled);
            context.AddInputGradient(1, transB ? emit.Transpose(dB, 0, 2, 1) : dB);
        }
        if (context.NeedsGradient(2))
        {
            var dC = beta == 1f ? gradient : emit.Mul(gradient, emit.Scalar(beta));
            context.AddInputGradient(2, context.Unbroadcast(dC, context.Input(2), context.Output()));
        }
    }
}
